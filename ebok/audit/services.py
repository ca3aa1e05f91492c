"""Writing the audit trail. Every money, reading, customer-data and consent change calls audit_log."""

from __future__ import annotations

from typing import Any

from django.db import models

from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.common.actor import Actor


def audit_log(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    customer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
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
