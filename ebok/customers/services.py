"""Writes of customer data."""

from __future__ import annotations

from django.db import transaction

from ebok.audit.services import audit_log
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.common.nrb import individual_account
from ebok.company.selectors import company
from ebok.customers.models import (
    CHANGEABLE_FIELDS,
    ChangeRequest,
    ChangeRequestStatus,
    Customer,
    CustomerKind,
)


@transaction.atomic
def customer_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    street: str,
    postal_code: str,
    city: str,
    kind: str = CustomerKind.PERSON,
    nip: str = "",
    pesel: str = "",
    email: str = "",
    phone: str = "",
    language: str = "pl",
) -> Customer:
    """Create a customer with its individual bank account derived from the code; raises ValidationError."""
    customer = Customer(
        code=code,
        kind=kind,
        name=name.strip(),
        nip=nip.replace("-", "").replace(" ", ""),
        pesel=pesel.strip(),
        street=street,
        postal_code=postal_code,
        city=city,
        email=email.strip().lower(),
        phone=phone,
        language=language,
        bank_account=individual_account(company().bank_account_prefix, code) if code.isdigit() else "",
        created_at=clock.now(),
    )
    customer.full_clean()
    customer.save()
    audit_log(
        actor=actor,
        action="customer.created",
        obj=customer,
        customer_id=customer.pk,
        data={"code": code, "name": customer.name},
    )
    return customer


@transaction.atomic
def change_request_create(
    *, actor: Actor, customer: Customer, changes: dict[str, str], message: str = ""
) -> ChangeRequest:
    """A customer asks to correct their data; only fields that really differ are kept. Staff decide."""
    unknown = set(changes) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise ValueError(f"these fields can't be changed by request: {sorted(unknown)}")
    differing = {
        field: value.strip()
        for field, value in changes.items()
        if value.strip() and value.strip() != getattr(customer, field)
    }
    if not differing and not message.strip():
        raise ValueError("nothing to change")
    request = ChangeRequest.objects.create(
        customer=customer,
        requested_by=actor.user,
        changes=differing,
        message=message.strip(),
        created_at=clock.now(),
    )
    audit_log(
        actor=actor,
        action="customer.change_requested",
        obj=request,
        customer_id=customer.pk,
        data={"changes": differing, "message": request.message},
    )
    return request


class ChangeRequestDecided(ValueError):
    """The request was already approved or rejected (e.g. by a colleague a moment ago)."""


def _normalized(field: str, value: str) -> str:
    value = str(value).strip()
    return value.lower() if field == "email" else value  # as customer_create stores e-mail addresses


@transaction.atomic
def change_request_decide(
    *, actor: Actor, request: ChangeRequest, approve: bool, note: str = ""
) -> ChangeRequest:
    """Approve (apply the requested values to the customer) or reject a pending request; the note is shown
    to the customer. Raises ChangeRequestDecided if it is no longer pending, ValidationError (nothing
    changed) if the values don't pass the customer's validation, ValueError if a rejection has no note."""
    locked = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ChangeRequestStatus.PENDING:
        raise ChangeRequestDecided(f"change request {locked.pk} was already {locked.status}")
    note = note.strip()
    if not approve and not note:
        raise ValueError("a rejection needs a note for the customer")
    applied: dict[str, list[str]] = {}
    if approve:
        unknown = set(locked.changes) - set(CHANGEABLE_FIELDS)
        if unknown:
            raise ValueError(f"these fields can't be changed by request: {sorted(unknown)}")
        customer = Customer.objects.select_for_update().get(pk=locked.customer_id)
        for field, value in locked.changes.items():
            old, new = getattr(customer, field), _normalized(field, value)
            if new != old:
                setattr(customer, field, new)
                applied[field] = [old, new]
        if applied:
            customer.full_clean()
            customer.save(update_fields=list(applied))
            audit_log(
                actor=actor, action="customer.changed", obj=customer, customer_id=customer.pk, data=applied
            )
    locked.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
    locked.decided_at = clock.now()
    locked.decided_by = actor.user
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    audit_log(
        actor=actor,
        action=f"change_request.{locked.status}",
        obj=locked,
        customer_id=locked.customer_id,
        data={"changes": applied, "note": note} if approve else {"note": note},
    )
    return locked
