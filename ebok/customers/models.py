"""Customers (odbiorcy usług): the parties billed, identified by their customer code."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel

from ebok.common.nrb import is_valid_nrb

# `field__length` in the check constraints below, on SQLite and PostgreSQL alike.
models.CharField.register_lookup(Length)

CUSTOMER_CODE_LENGTH = 6


class CustomerKind(models.TextChoices):
    PERSON = "person", _("person")
    BUSINESS = "business", _("business")


class Customer(models.Model):
    code = models.CharField(_("customer code"), max_length=CUSTOMER_CODE_LENGTH, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    pesel = models.CharField(_("PESEL"), max_length=11, blank=True)
    street = models.CharField(_("street and number"), max_length=120)
    postal_code = models.CharField(_("postal code"), max_length=6)
    city = models.CharField(_("city"), max_length=80)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=5, default="pl", choices=[("pl", "polski"), ("en", "English")]
    )
    bank_account = models.CharField(_("individual bank account"), max_length=26, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__length=CUSTOMER_CODE_LENGTH), name="customer_code_length"
            ),
            # Digits only: the code is part of the individual bank account number.
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]+$"), name="customer_code_digits"),
            models.CheckConstraint(condition=Q(language__in=["pl", "en"]), name="customer_language_valid"),
            models.CheckConstraint(condition=Q(kind__in=CustomerKind.values), name="customer_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="customer_name_required"),
            models.CheckConstraint(
                condition=~Q(kind=CustomerKind.BUSINESS) | Q(nip__length=10), name="customer_business_has_nip"
            ),
            models.CheckConstraint(condition=Q(nip="") | Q(nip__length=10), name="customer_nip_length"),
            models.CheckConstraint(condition=Q(pesel="") | Q(pesel__length=11), name="customer_pesel_length"),
            models.CheckConstraint(condition=Q(bank_account__length=26), name="customer_bank_account_length"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"

    def clean(self) -> None:
        errors = {}
        if not self.code.isdigit() or len(self.code) != CUSTOMER_CODE_LENGTH:
            errors["code"] = _("The customer code has %(n)d digits.") % {"n": CUSTOMER_CODE_LENGTH}
        if self.nip and not stdnum_nip.is_valid(self.nip):
            errors["nip"] = _("This NIP is not valid (check the digits).")
        if self.kind == CustomerKind.BUSINESS and not self.nip:
            errors["nip"] = _("A business customer needs a NIP.")
        if self.pesel and not stdnum_pesel.is_valid(self.pesel):
            errors["pesel"] = _("This PESEL is not valid (check the digits).")
        if self.bank_account and not is_valid_nrb(self.bank_account):
            errors["bank_account"] = _("This account number has wrong check digits.")
        if errors:
            raise ValidationError(errors)


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("waiting for staff")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


# The customer data a customer may ask to change from the portal (staff apply it after checking).
CHANGEABLE_FIELDS = ("name", "street", "postal_code", "city", "email", "phone")


class ChangeRequest(models.Model):
    """A customer's request to correct the data the utility holds; staff approve or reject it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="change_requests")
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField(default=dict, blank=True)  # {field: new value}, fields from CHANGEABLE_FIELDS
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(max_length=10, choices=ChangeRequestStatus.choices, default="pending")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ChangeRequestStatus.values), name="change_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.status} {self.created_at:%Y-%m-%d}"
