"""Reading the audit trail."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from ebok.audit.models import AuditEntry


def audit_for_object(obj: models.Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def audit_for_customer(customer_id: int) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(customer_id=customer_id)
