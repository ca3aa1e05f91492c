"""Payments and the append-only ledger from which every balance is derived."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ebok.common.frozen import FrozenModel


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("bank transfer")
    CASH = "cash", _("cash at the office")
    CARD = "card", _("card")
    OTHER = "other", _("other")


class Payment(models.Model):
    """Money received. Unmatched payments (customer unknown) wait for a clerk to assign them; the ledger
    entry is written when the customer is known, so the assignment is the only change a payment sees."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=13, decimal_places=2)
    received_on = models.DateField(_("received on"))
    method = models.CharField(max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER)
    title = models.CharField(_("title"), max_length=300, blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_account = models.CharField(max_length=34, blank=True)
    target_account = models.CharField(max_length=34, blank=True)
    # The invoice the payer named in the title, if any: it is settled first (billing-rules §8).
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # A bank's unique reference for the transaction; importing the same statement twice changes nothing.
    bank_reference = models.CharField(max_length=120, null=True, blank=True, unique=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount}"


class EntryKind(models.TextChoices):
    OPENING = "opening", _("opening balance")
    INVOICE = "invoice", _("invoice")
    CORRECTION = "correction", _("correction invoice")
    PAYMENT = "payment", _("payment")


class LedgerEntry(FrozenModel):
    """One append-only row per charge or payment; amount > 0 means the customer owes more."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=13, decimal_places=2)
    booked_on = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["customer", "booked_on", "id"]
        indexes = [models.Index(fields=["customer", "booked_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="ledger_kind_valid"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["invoice", "correction"], invoice__isnull=False, payment__isnull=True)
                    | Q(kind="payment", payment__isnull=False, invoice__isnull=True, amount__lt=0)
                    | Q(kind="opening", invoice__isnull=True, payment__isnull=True)
                ),
                name="ledger_entry_refers_its_document",
            ),
        ]


class InterestKind(models.TextChoices):
    STATUTORY = "statutory", _("statutory interest for delay")
    COMMERCIAL = "commercial", _("interest in commercial transactions")


class InterestRate(models.Model):
    """A rate of interest for late payment in force from `valid_from` until the next row of the same kind
    (billing-rules §8): consumers owe statutory interest for delay (art. 481 § 2 of the Civil Code), businesses
    interest in commercial transactions (art. 4 pkt 3 of the act on payment delays in commercial transactions).
    The law changes the figures with the NBP reference rate, so they are data, kept up to date in the admin."""

    kind = models.CharField(_("kind"), max_length=12, choices=InterestKind.choices)
    valid_from = models.DateField(_("valid from"))
    annual_percent = models.DecimalField(_("percent a year"), max_digits=5, decimal_places=2)
    note = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "valid_from"]
        verbose_name = _("interest rate")
        verbose_name_plural = _("interest rates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="interest_rate_unique_day"),
            models.CheckConstraint(
                condition=Q(kind__in=InterestKind.values), name="interest_rate_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(annual_percent__gte=0, annual_percent__lte=100),
                name="interest_rate_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.annual_percent}% ({self.valid_from})"
