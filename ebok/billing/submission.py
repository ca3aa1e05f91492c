"""A customer's (or the website's) readings of one address, and the invoice issued from them at once.

`submission_preview` answers "what would happen" without keeping anything (it runs the real services in a
transaction that is rolled back), so the preview and the real outcome can't disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice, InvoiceKind
from ebok.billing.services import Draft, invoice_issue, preview_invoice
from ebok.common import faults
from ebok.common.actor import Actor
from ebok.metering.models import ServicePoint
from ebok.notifications.services import notify_invoice_issued
from ebok.readings.models import Reading, Status
from ebok.readings.services import readings_submit_for_point


@dataclass(slots=True)
class Outcome:
    readings: list[Reading]
    invoice: Invoice | None = None
    draft: Draft | None = None
    billing_error: str = ""
    consumption: dict[int, Decimal] = field(default_factory=dict)  # by meter id, from the draft

    @property
    def all_accepted(self) -> bool:
        return all(r.status == Status.ACCEPTED for r in self.readings)

    @property
    def refused(self) -> list[Reading]:
        return [r for r in self.readings if r.status == Status.REFUSED]

    @property
    def held(self) -> list[Reading]:
        return [r for r in self.readings if r.status == Status.HELD]


class _Rollback(Exception):
    pass


def submission_preview(
    *, actor: Actor, service_point: ServicePoint, date: dt.date, values: dict[int, str], source: str
) -> Outcome:
    """The readings' verdicts and the invoice draft, as if submitted now; nothing is stored.

    Raises ReadingInputError when a value is not a reading at all.
    """
    outcome = None
    try:
        with transaction.atomic():
            readings = readings_submit_for_point(
                actor=actor, service_point=service_point, date=date, values=values, source=source
            )
            outcome = Outcome(readings=readings)
            if outcome.all_accepted:
                try:
                    outcome.draft = preview_invoice(service_point=service_point, up_to=date)
                    outcome.consumption = {m.meter.pk: m.consumption for m in outcome.draft.meters}
                except BillingError as error:
                    outcome.billing_error = error.message
            raise _Rollback
    except _Rollback:
        pass
    for reading in outcome.readings:  # they were never stored
        reading.pk = None
    return outcome


@transaction.atomic
def submission_confirm(
    *,
    actor: Actor,
    service_point: ServicePoint,
    date: dt.date,
    values: dict[int, str],
    source: str,
    idempotency_key: str,
    issue_invoice: bool = True,
) -> Outcome:
    """Store the readings and, when all are accepted, issue the invoice and deliver it as the customer's
    consents say (after commit). Repeating it changes nothing and sends nothing again.

    The readings are kept even if the invoice can't be issued (the office issues it later).
    """
    readings = readings_submit_for_point(
        actor=actor,
        service_point=service_point,
        date=date,
        values=values,
        source=source,
        idempotency_key=idempotency_key,
    )
    outcome = Outcome(readings=readings)
    if issue_invoice and outcome.all_accepted:
        already = Invoice.objects.filter(
            service_point=service_point, kind=InvoiceKind.INVOICE, period_end=date
        )
        is_new = not already.exists()
        try:
            with transaction.atomic():
                outcome.invoice = invoice_issue(actor=actor, service_point=service_point, up_to=date)
        except BillingError as error:
            outcome.billing_error = error.message
        else:
            if is_new:
                invoice = outcome.invoice
                transaction.on_commit(lambda: notify_invoice_issued(invoice))
    faults.pause("submission")  # test-only, see ebok/common/faults.py
    return outcome
