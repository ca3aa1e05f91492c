"""Consents (with full history) that every sender checks; the messages sent (the outbox); announcements."""

from __future__ import annotations

import uuid

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
    LINK = "link", _("unsubscribe link in a message")


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
    # Where the signed paper form is kept (e.g. the number of its scan in the archive), for PAPER events.
    document = models.CharField(_("document"), max_length=120, blank=True)

    class Meta:
        ordering = ["customer", "kind", "medium", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConsentKind.values), name="consent_kind_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=ConsentChannel.values), name="consent_channel_valid"
            ),
            models.CheckConstraint(condition=Q(medium__in=ConsentMedium.values), name="consent_medium_valid"),
        ]


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Message(models.Model):
    """One e-mail or SMS: rendered when queued (in the recipient's language), then sent by the task worker.

    Messages of a consent `kind` are only created when the customer has that consent; account messages
    (confirmation, activation, password reset) have no kind. A failed attempt is retried with growing delays;
    after the last one the message stays FAILED, visible to staff, who can send it again.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices, blank=True)
    template = models.CharField(max_length=40)
    medium = models.CharField(_("medium"), max_length=10, choices=ConsentMedium.choices)
    to = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(max_length=5, default="pl")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    body_html = models.TextField(blank=True)
    # The invoice whose PDF is attached (rendered when sent: an issued invoice never changes).
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    # A body with a one-time link (password reset, confirmation) is blanked once sent.
    sensitive = models.BooleanField(default=False)
    # Scheduled messages (reading window, payment due) carry a key so that a second run sends nothing.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"))
    enqueued_at = models.DateTimeField(null=True, blank=True)  # last handed to the task queue
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_status_next"),
            models.Index(fields=["customer", "-created_at"], name="message_customer_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
            models.CheckConstraint(condition=Q(medium__in=ConsentMedium.values), name="message_medium_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.status})"


class DeliveryMethod(models.TextChoices):
    EMAIL = "email", _("e-mail with the PDF (e-invoice)")
    NOTICE = "notice", _("notice that the invoice is in EBOK; paper copy by post")
    PAPER = "paper", _("by post")


class InvoiceDelivery(models.Model):
    """How an issued invoice reached (or will reach) the customer: one row per invoice, made once."""

    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, primary_key=True, related_name="delivery"
    )
    method = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=DeliveryMethod.values), name="delivery_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.method}"


class AnnouncementScope(models.TextChoices):
    EVERYONE = "all", _("everyone")
    CITY = "city", _("a town or village")
    STREET = "street", _("a street")


class Announcement(models.Model):
    """A water outage or planned works: shown on the portal home page and sent to consenting customers."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    scope = models.CharField(_("area"), max_length=10, choices=AnnouncementScope.choices)
    city = models.CharField(_("town or village"), max_length=80, blank=True)
    street = models.CharField(_("street"), max_length=120, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=AnnouncementScope.values), name="announcement_scope"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="announcement_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def area(self) -> str:
        if self.scope == AnnouncementScope.STREET:
            return f"{self.street}, {self.city}"
        if self.scope == AnnouncementScope.CITY:
            return self.city
        return str(AnnouncementScope.EVERYONE.label)
