"""Reading the audit trail."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from ebok.audit.models import AuditEntry
from ebok.customers.models import Customer


def audit_for_object(obj: models.Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def audit_for_customer(customer_id: int) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(customer_id=customer_id)


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the utility's time zone: staff think in local days."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def with_details(entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
    """Entries with their actor and `customer_code` (the customer is a plain id, not a foreign key)."""
    code = Customer.objects.filter(pk=OuterRef("customer_id")).values("code")[:1]
    return entries.select_related("actor").annotate(customer_code=Subquery(code))


def audit_search(
    *,
    customer_code: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    username: str | None = None,
    channel: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries matching every filter given (None or "" = no filter), newest first.

    `object_type` is the model label ("billing.invoice"), `action` a prefix ("payment." finds every payment
    action), `username` the acting user's username (any case), `date_from`/`date_to` local days, both included.
    Each entry carries its actor and `customer_code`.
    """
    entries = AuditEntry.objects.all()
    if customer_code:
        entries = entries.filter(customer_id__in=Customer.objects.filter(code=customer_code).values("pk"))
    if object_type:
        entries = entries.filter(object_type=object_type.lower())
    if object_id:
        entries = entries.filter(object_id=str(object_id))
    if action:
        entries = entries.filter(action__startswith=action)
    if username:
        entries = entries.filter(actor__username__iexact=username)
    if channel:
        entries = entries.filter(channel=channel)
    if date_from:
        entries = entries.filter(at__gte=_start_of(date_from))
    if date_to:
        entries = entries.filter(at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return with_details(entries).order_by("-at", "-id")
