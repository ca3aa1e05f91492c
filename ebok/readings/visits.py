"""The meter reader's visits that end without a reading ("no access"), recorded so the point isn't forgotten."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from ebok.audit.services import audit_log
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.metering.models import ServicePoint
from ebok.readings.models import NoAccess, NoAccessReason


@transaction.atomic
def no_access_record(
    *,
    actor: Actor,
    service_point: ServicePoint,
    date: dt.date,
    reason: str,
    note: str = "",
    idempotency_key: str,
) -> NoAccess:
    """Record a visit without access; the same idempotency key again returns the first record."""
    existing = NoAccess.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if reason not in NoAccessReason.values:
        raise ValueError(f"unknown reason {reason!r}")
    if date > clock.today():
        raise ValueError("a visit can't be in the future")
    try:
        with transaction.atomic():
            visit = NoAccess.objects.create(
                service_point=service_point,
                date=date,
                reason=reason,
                note=note.strip()[:300],
                reader=actor.user,
                created_at=clock.now(),
                idempotency_key=idempotency_key,
            )
    except IntegrityError:  # the same key stored meanwhile by a retried request
        return NoAccess.objects.get(idempotency_key=idempotency_key)
    audit_log(
        actor=actor,
        action="visit.no_access",
        obj=visit,
        customer_id=service_point.customer_id,
        data={"date": date.isoformat(), "reason": reason, "note": visit.note},
    )
    return visit
