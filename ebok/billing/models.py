"""Invoices and correction invoices as frozen documents, and the counters that number them gap-free."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ebok.common.frozen import FrozenModel


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("invoice")
    CORRECTION = "correction", _("correction invoice")


class InvoiceCounter(models.Model):
    """Last number used per series and year; locked with SELECT … FOR UPDATE by the issuing transaction."""

    series = models.CharField(max_length=12, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoice_counter_unique"),
            models.CheckConstraint(
                condition=Q(series__in=InvoiceKind.values), name="invoice_counter_series_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series}/{self.year}: {self.last_number}"


class Invoice(FrozenModel):
    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=40, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="invoices")
    service_point = models.ForeignKey(
        "metering.ServicePoint", on_delete=models.PROTECT, related_name="invoices"
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_reason = models.TextField(_("reason for correction"), blank=True)
    issue_date = models.DateField(_("issue date"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_date = models.DateField(_("due date"))
    language = models.CharField(max_length=5, default="pl")
    # Frozen copies: what the document says, whatever happens to the master data later.
    seller = models.JSONField()
    buyer = models.JSONField()
    point = models.JSONField()
    customer_code = models.CharField(max_length=10, db_index=True)
    bank_account = models.CharField(max_length=26)
    total_net = models.DecimalField(max_digits=13, decimal_places=2)
    total_vat = models.DecimalField(max_digits=13, decimal_places=2)
    total_gross = models.DecimalField(max_digits=13, decimal_places=2)
    balance_before = models.DecimalField(_("balance before this invoice"), max_digits=13, decimal_places=2)
    channel = models.CharField(max_length=12)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issue_date", "-id"]
        permissions = [("correct_invoice", "Can issue correction invoices")]
        indexes = [
            models.Index(fields=["customer", "issue_date"]),
            models.Index(fields=["issued_at"], name="invoice_issued_at"),  # delivery of new invoices
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="invoice_unique_sequence"),
            models.UniqueConstraint(
                fields=["service_point", "period_end"],
                condition=Q(kind="invoice"),
                name="invoice_one_per_point_period_end",
            ),
            models.CheckConstraint(condition=Q(kind__in=InvoiceKind.values), name="invoice_kind_valid"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="invoice_sequence_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="invoice_period_order"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="correction", corrects__isnull=False),
                name="invoice_correction_refers_original",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice") | ~Q(correction_reason=""), name="invoice_correction_has_reason"
            ),
            # gross = net + VAT (billing-rules §6); a half-grosz band because SQLite compares decimals as floats.
            models.CheckConstraint(
                condition=Q(
                    total_gross__gt=F("total_net") + F("total_vat") - Decimal("0.005"),
                    total_gross__lt=F("total_net") + F("total_vat") + Decimal("0.005"),
                ),
                name="invoice_gross_is_net_plus_vat",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_correction(self) -> bool:
        return self.kind == InvoiceKind.CORRECTION


class LineKind(models.TextChoices):
    WATER = "water", _("water supply")
    SEWAGE = "sewage", _("sewage collection")
    SUBSCRIPTION = "subscription", _("subscription fee")
    SEWAGE_SUBSCRIPTION = "sewage_subscription", _("sewage subscription fee")


class LineSide(models.TextChoices):
    """Ordinary invoices have plain lines; a correction lists the lines before and after."""

    PLAIN = "", _("line")
    BEFORE = "before", _("before correction")
    AFTER = "after", _("after correction")


class InvoiceLine(FrozenModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    side = models.CharField(max_length=6, choices=LineSide.choices, blank=True, default="")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    unit = models.CharField(max_length=10)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    unit_net_price = models.DecimalField(max_digits=12, decimal_places=4)
    net = models.DecimalField(max_digits=13, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    period_start = models.DateField()
    period_end = models.DateField()

    class Meta:
        ordering = ["invoice", "side", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "side", "position"], name="invoice_line_unique_position"
            ),
            models.CheckConstraint(condition=Q(kind__in=LineKind.values), name="invoice_line_kind_valid"),
            models.CheckConstraint(condition=Q(side__in=LineSide.values), name="invoice_line_side_valid"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="invoice_line_quantity_nonnegative"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="invoice_line_period_order"
            ),
        ]


class InvoiceMeterReading(FrozenModel):
    """A meter as it was billed: previous and new reading with their dates (frozen on the invoice)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="meter_readings")
    side = models.CharField(max_length=6, choices=LineSide.choices, blank=True, default="")
    meter = models.ForeignKey("metering.Meter", on_delete=models.PROTECT, related_name="+")
    serial_number = models.CharField(max_length=40)
    role = models.CharField(max_length=12)
    previous_date = models.DateField()
    previous_value = models.DecimalField(max_digits=12, decimal_places=3)
    new_date = models.DateField()
    new_value = models.DecimalField(max_digits=12, decimal_places=3)
    consumption = models.DecimalField(max_digits=12, decimal_places=3)
    new_reading = models.ForeignKey(
        "readings.Reading", on_delete=models.PROTECT, null=True, blank=True, related_name="billed_on"
    )

    class Meta:
        ordering = ["invoice", "side", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consumption__gte=0), name="invoice_meter_consumption_nonnegative"
            ),
            models.CheckConstraint(condition=Q(side__in=LineSide.values), name="invoice_meter_side_valid"),
            models.CheckConstraint(
                condition=Q(role__in=["main", "additional"]), name="invoice_meter_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(new_date__gte=F("previous_date")), name="invoice_meter_dates_order"
            ),
        ]
