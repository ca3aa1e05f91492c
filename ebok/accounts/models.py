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
