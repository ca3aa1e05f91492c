"""Consents (with full history) that every sender of a message checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ebok.common.frozen import FrozenModel


class ConsentKind(models.TextChoices):
    E_INVOICE = "e_invoice", _("invoices sent electronically (art. 106n VAT act)")
    NOTIFY_EMAIL = "notify_email", _("notifications by e-mail")
    NOTIFY_SMS = "notify_sms", _("notifications by SMS")
    MARKETING_EMAIL = "marketing_email", _("information and offers by e-mail")


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
    given = models.BooleanField()
    text_version = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["customer", "kind", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConsentKind.values), name="consent_kind_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=ConsentChannel.values), name="consent_channel_valid"
            ),
        ]
