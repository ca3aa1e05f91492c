"""Writing the audit trail. Every money, reading, customer-data and consent change calls audit_log."""

from __future__ import annotations

from typing import Any

from django.db import models

from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.common.actor import Actor


def audit_entry(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    customer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """An unsaved audit entry: for a service that writes many changes at once with bulk_create."""
    return AuditEntry(
        at=clock.now(),
        actor=actor.user,
        channel=actor.channel,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        customer_id=customer_id,
        data=data or {},
        ip=actor.ip,
    )


def audit_log(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    customer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = audit_entry(actor=actor, action=action, obj=obj, customer_id=customer_id, data=data)
    entry.save()
    return entry
