"""Reading.billed: which readings an invoice already covers, and an index of those still waiting for one."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def mark_billed(apps, schema_editor):
    """Readings dated on or before their point's latest regular invoice's end are billed."""
    Reading = apps.get_model("readings", "Reading")
    Invoice = apps.get_model("billing", "Invoice")
    last_end = (
        Invoice.objects.filter(service_point_id=OuterRef("meter__service_point_id"), kind="invoice")
        .order_by("-period_end")
        .values("period_end")[:1]
    )
    Reading.objects.filter(date__lte=Subquery(last_end)).update(billed=True)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_invoice_issued_at_index"),
        ("metering", "0002_routeassignment"),
        ("readings", "0003_noaccess"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="reading",
            name="billed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_billed, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="reading",
            index=models.Index(
                condition=models.Q(("billed", False), ("status", "accepted")),
                fields=["meter", "date"],
                name="reading_waiting_for_invoice",
            ),
        ),
    ]
