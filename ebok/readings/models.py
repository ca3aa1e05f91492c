"""Meter readings from every source, with their validation outcome. A reading is never deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    READER = "reader", _("meter reader")
    PORTAL = "portal", _("EBOK portal")
    WEBSITE = "website", _("website form")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    OFFICE = "office", _("office")
    REMOTE = "remote", _("remote reading")
    IMPORT = "import", _("import")


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    HELD = "held", _("held for review")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn (corrected)")


class Reading(models.Model):
    meter = models.ForeignKey("metering.Meter", on_delete=models.PROTECT, related_name="readings")
    date = models.DateField(_("reading date"))
    value = models.DecimalField(_("reading, m³"), max_digits=12, decimal_places=3)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # Why it was refused or held (e.g. "lower_than_previous") and the figures for the message; the text
    # itself is rendered in the reader's language by ebok.readings.messages.
    reason_code = models.CharField(max_length=40, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    # Free text from staff (e.g. why a held reading was rejected); shown to the customer.
    note = models.TextField(_("note"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("entered at"))
    photo = models.FileField(_("photo of the meter"), upload_to="readings/", blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # Set by billing once an invoice of the point ends on or after this reading's date. Only a hint for
    # finding the readings waiting for an invoice (the partial index below holds just those, so the billing
    # run's search doesn't grow with the city); which days are invoiced is decided by the invoices themselves.
    billed = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["meter", "date", "id"]
        indexes = [
            models.Index(fields=["meter", "status", "date"]),
            models.Index(fields=["status", "date"]),
            models.Index(
                fields=["meter", "date"],
                condition=Q(status="accepted", billed=False),
                name="reading_waiting_for_invoice",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="reading_value_nonnegative"),
            # One reading in force per meter and day (refused and withdrawn ones are kept beside it).
            models.UniqueConstraint(
                fields=["meter", "date"],
                condition=Q(status__in=["accepted", "held"]),
                name="reading_one_in_force_per_meter_day",
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="reading_source_valid"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="reading_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=[Status.ACCEPTED, Status.WITHDRAWN]) | ~Q(reason_code=""),
                name="reading_not_accepted_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.date} {self.value}"

    @property
    def reason_text(self) -> str:
        from ebok.readings.messages import reason_message

        return reason_message(self.reason_code, self.reason_params) if self.reason_code else self.note


class NoAccessReason(models.TextChoices):
    NOBODY_HOME = "nobody_home", _("nobody at home")
    DOG = "dog", _("a dog")
    LOCKED = "locked", _("the meter is locked away")
    FLOODED = "flooded", _("the meter well is flooded")
    OTHER = "other", _("other")


class NoAccess(models.Model):
    """The meter reader came but could not read the meters of a point (so the point is not forgotten)."""

    service_point = models.ForeignKey("metering.ServicePoint", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    reason = models.CharField(max_length=20, choices=NoAccessReason.choices)
    note = models.CharField(max_length=300, blank=True)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=NoAccessReason.values), name="no_access_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.date} {self.reason}"
