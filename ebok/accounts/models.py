"""People who log in: customers (linked to customer records) and staff (with a role)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Staff roles; each is a Django group with its permissions (see migrations of this app)."""

    CLERK = "office_clerk", _("office clerk")
    READER = "meter_reader", _("meter reader")
    ADMIN = "administrator", _("administrator")
    AUDITOR = "auditor", _("read-only auditor")


class User(AbstractUser):
    language = models.CharField(
        _("language"), max_length=5, default="pl", choices=[("pl", "polski"), ("en", "English")]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="user_email_unique"),
        ]

    def has_role(self, role: Role) -> bool:
        return self.groups.filter(name=role.value).exists()


class CustomerAccess(models.Model):
    """Which customer records a portal user may see (one person may hold several customer codes)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="customer_access")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="portal_access")
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="customer_access_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.customer_id}"


class RegistrationStatus(models.TextChoices):
    EMAIL = "email", _("waiting for e-mail confirmation")
    PENDING = "pending", _("waiting for activation")
    ACTIVE = "active", _("active")
    REJECTED = "rejected", _("rejected")


class Registration(models.Model):
    """A portal sign-up: what the person typed, whether it matched a customer, and the staff decision."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="registration")
    customer_code = models.CharField(_("customer code"), max_length=20)
    invoice_number = models.CharField(_("invoice number"), max_length=40)
    # The customer whose code and invoice number both matched; empty when the pair did not match and the
    # person asked the office to verify them instead.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="registrations"
    )
    status = models.CharField(
        max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.EMAIL
    )
    created_at = models.DateTimeField()
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reject_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["email_confirmed_at", "id"]
        permissions = [("decide_registration", "Can activate or reject portal registrations")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values), name="registration_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=RegistrationStatus.REJECTED) | ~Q(reject_reason=""),
                name="registration_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=RegistrationStatus.ACTIVE) | Q(customer__isnull=False),
                name="registration_active_has_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.email} ({self.status})"

    @property
    def matched(self) -> bool:
        return self.customer_id is not None


class ThrottleEvent(models.Model):
    """One counted attempt (a failed login, a registration, an anonymous reading) for rate limiting."""

    scope = models.CharField(max_length=30)
    key = models.CharField(max_length=64)  # a hash of the e-mail or IP address, never the address itself
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.at:%Y-%m-%d %H:%M}"
