"""Consents (with full history) that every sender of a message checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ebok.common.frozen import FrozenModel


class ConsentKind(models.TextChoices):
    E_INVOICE = "e_invoice", _("invoices sent electronically (art. 106n of the VAT act)")
    INVOICE_ISSUED = "invoice_issued", _("a new invoice")
    READING_WINDOW = "reading_window", _("the reading period opens")
    PAYMENT_DUE = "payment_due", _("a payment falls due soon")
    PAYMENT_RECEIVED = "payment_received", _("a payment was received")
    READING_REVIEW = "reading_review", _("a reading was checked by staff")
    OUTAGE = "outage", _("water outages and planned works")
    MARKETING = "marketing", _("information and offers of the company")


class ConsentMedium(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class ConsentChannel(models.TextChoices):
    PORTAL = "portal", _("EBOK portal")
    OFFICE = "office", _("at the office")
    PAPER = "paper", _("paper form")
    IMPORT = "import", _("import")


class ConsentEvent(FrozenModel):
    """Given or withdrawn, with the text version shown; the latest event per kind is the current state."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="consent_events"
    )
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    medium = models.CharField(max_length=10, choices=ConsentMedium.choices, default=ConsentMedium.EMAIL)
    given = models.BooleanField()
    text_version = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["customer", "kind", "medium", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConsentKind.values), name="consent_kind_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=ConsentChannel.values), name="consent_channel_valid"
            ),
            models.CheckConstraint(condition=Q(medium__in=ConsentMedium.values), name="consent_medium_valid"),
        ]
