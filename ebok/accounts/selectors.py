"""Reads about portal accounts: which customers a user may see, and the activation queue."""

from __future__ import annotations

from django.db.models import QuerySet

from ebok.accounts.models import CustomerAccess, Registration, RegistrationStatus, User
from ebok.customers.models import Customer


def customers_for_user(user: User) -> QuerySet[Customer]:
    """The customer records a portal user may see: the ownership check of every portal page."""
    if not user.is_authenticated:
        return Customer.objects.none()
    ids = CustomerAccess.objects.filter(user=user).values("customer_id")
    return Customer.objects.filter(pk__in=ids).order_by("code")


def registrations_waiting() -> QuerySet[Registration]:
    """Confirmed registrations waiting for staff, longest waiting first."""
    return (
        Registration.objects.filter(status=RegistrationStatus.PENDING)
        .select_related("user", "customer")
        .order_by("email_confirmed_at", "id")
    )
