"""The billing run: invoices for a batch of service points at once, in a fixed number of statements.

`invoice_issue` issues one invoice in a couple of dozen statements — right for a customer waiting for theirs,
too slow for a city's 100,000 points. `invoices_issue_batch` issues a whole batch in one transaction:

1. the points and their customers are locked, skipping rows another writer holds (those are "taken": the
   caller looks at them again later);
2. what billing reads — existing invoices, meters, readings, where each meter was last billed, balances,
   tariffs — is read for the whole batch in a handful of queries;
3. each draft is computed by the same code as `invoice_issue` (`compute_draft`); a point that can't be
   invoiced is skipped with its BillingError and writes nothing;
4. the batch's numbers are taken from the counter in one step (gap-free: the counter row stays locked until
   commit, and a rollback returns every number), and the invoices, lines, meter rows, ledger entries and
   audit entries are written with one INSERT (COPY on PostgreSQL) each.

The invoices are the same, field by field, as those `invoice_issue` would give point after point in id order
(tests/billing/test_run.py); `balance_before` counts the invoices of the same customer earlier in the batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import translation

from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice, InvoiceKind, LineSide
from ebok.billing.services import (
    ONE_DAY,
    _allocate_numbers,
    compute_draft,
    invoice_row,
    issued_audit_entry,
    ledger_row,
    line_rows,
    load_point_readings,
    mark_readings_billed,
    meter_rows,
    seller_copy,
)
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.common.bulk import insert_many
from ebok.company.selectors import company as get_company
from ebok.metering.models import ServicePoint
from ebok.payments.models import LedgerEntry
from ebok.tariffs.models import Tariff

ZERO = Decimal("0.00")


@dataclass(slots=True)
class BatchResult:
    issued: list[Invoice] = field(default_factory=list)
    already_issued: list[int] = field(default_factory=list)  # point ids: an invoice ends on that day already
    taken: list[int] = field(default_factory=list)  # point ids another writer held: look at them again later
    skipped: dict[int, BillingError] = field(default_factory=dict)  # point id → why nothing was issued


@transaction.atomic
def invoices_issue_batch(
    *, actor: Actor, candidates: Sequence[tuple[int, dt.date]], issue_date: dt.date | None = None
) -> BatchResult:
    """Issue, for each (point id, end date), the point's invoice up to that date; see the module's docstring."""
    ends = dict(candidates)
    result = BatchResult()
    points = {
        point.pk: point
        for point in ServicePoint.objects.select_for_update(of=("self", "customer"), skip_locked=True)
        .select_related("customer", "tariff_group")
        .filter(pk__in=ends)
        .order_by("pk")
    }
    result.taken = sorted(set(ends) - set(points))
    existing = set(
        Invoice.objects.filter(
            service_point_id__in=points, kind=InvoiceKind.INVOICE, period_end__in=set(ends.values())
        ).values_list("service_point_id", "period_end")
    )
    result.already_issued = [pk for pk in points if (pk, ends[pk]) in existing]
    todo = [points[pk] for pk in points if (pk, ends[pk]) not in existing]
    if not todo:
        return result

    company = get_company()
    states = load_point_readings({point.pk: ends[point.pk] for point in todo})
    last_ends = _last_invoiced_ends(point.pk for point in todo)
    versions = _tariff_versions({point.tariff_group_id for point in todo})
    drafts = []
    for point in todo:
        start = last_ends.get(point.pk, point.billed_until) + ONE_DAY
        end = ends[point.pk]
        try:
            if end < start:
                raise BillingError("already_billed", date=(start - ONE_DAY).isoformat())
            with translation.override(point.customer.language):
                draft = compute_draft(
                    point,
                    start,
                    end,
                    company=company,
                    state=states[point.pk],
                    group_versions=versions.get(point.tariff_group_id, []),
                )
                # Line texts in the customer's language; tied to the invoice once it exists (below).
                lines = line_rows(None, draft.lines, LineSide.PLAIN)
        except BillingError as error:
            result.skipped[point.pk] = error
            continue
        drafts.append((point, draft, lines))
    if not drafts:
        return result

    issue_date = issue_date or clock.today()
    issued_at = clock.now()
    seller = seller_copy(company)
    balances = _balances({point.customer_id for point, _draft, _lines in drafts})
    invoices, lines, meters = [], [], []
    for point, draft, point_lines in drafts:
        balance = balances.get(point.customer_id, ZERO)
        invoice = invoice_row(
            actor=actor,
            company=company,
            seller=seller,
            point=point,
            kind=InvoiceKind.INVOICE,
            number=("", 0),  # below, once the counter is locked
            issue_date=issue_date,
            period=(draft.period_start, draft.period_end),
            totals=(draft.totals.net, draft.totals.vat, draft.totals.gross),
            balance_before=balance,
            issued_at=issued_at,
        )
        balances[point.customer_id] = balance + invoice.total_gross
        invoices.append(invoice)
        for line in point_lines:
            line.invoice = invoice
        lines += point_lines
        meters += meter_rows(invoice, draft.meters, LineSide.PLAIN)
    # From here to the commit the series' counter row is locked (other billing processes wait): only writing.
    numbers = _allocate_numbers(company, InvoiceKind.INVOICE, issue_date.year, len(invoices))
    for invoice, (number, sequence) in zip(invoices, numbers, strict=True):
        invoice.number, invoice.sequence = number, sequence
    insert_many(invoices)
    insert_many(lines)
    insert_many(meters)
    insert_many([ledger_row(invoice) for invoice in invoices])
    insert_many([issued_audit_entry(actor, invoice) for invoice in invoices])
    mark_readings_billed({row.meter_id: row.new_date for row in meters})
    result.issued = invoices
    return result


def _last_invoiced_ends(point_ids: Iterable[int]) -> dict[int, dt.date]:
    """Point id → the end of its latest regular invoice (points never invoiced are left out)."""
    return dict(
        Invoice.objects.filter(service_point_id__in=list(point_ids), kind=InvoiceKind.INVOICE)
        .values("service_point_id")
        .annotate(end=Max("period_end"))
        .values_list("service_point_id", "end")
    )


def _tariff_versions(group_ids: set[int]) -> dict[int, list[Tariff]]:
    versions: dict[int, list[Tariff]] = {}
    for tariff in Tariff.objects.filter(group_id__in=group_ids):
        versions.setdefault(tariff.group_id, []).append(tariff)
    return versions


def _balances(customer_ids: set[int]) -> dict[int, Decimal]:
    """Customer id → balance (Σ ledger), as `balance_for_customer` gives it; customers with no entries left out."""
    totals = (
        LedgerEntry.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values_list("customer_id", "total")
    )
    return {customer_id: Decimal(total).quantize(ZERO) for customer_id, total in totals}
