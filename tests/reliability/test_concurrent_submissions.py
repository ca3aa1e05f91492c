"""200 customers submit their readings at the same moment on PostgreSQL, 10% of them twice with the same
idempotency key (a double click, a retry after a timeout): one reading per meter, one invoice per address,
invoice numbers gap-free, every ledger entry once.

Real threads from a pool, each with its own database connection, through `submission_confirm` (what the
portal's "confirm" step calls). SQLite serialises writers and its test database lives in memory, so this runs
on PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.db.models import Count

from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice, InvoiceCounter, InvoiceKind
from ebok.billing.submission import submission_confirm
from ebok.common.actor import Actor
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.notifications.models import InvoiceDelivery
from ebok.payments.models import EntryKind, LedgerEntry
from ebok.payments.selectors import balance_for_customer
from ebok.readings.models import Reading, Source, Status
from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL row locks (run with DATABASE_URL=postgres://...)",
    ),
]

READ_ON = dt.date(2025, 3, 31)
POINTS = 200
THREADS = 24
RETRIED_TOGETHER = 10  # the retry is released at the same moment as the first attempt
RETRIED_AFTER = 10  # the retry comes once the first attempt has finished


@dataclass(slots=True)
class Attempt:
    point: ServicePoint
    values: dict[int, str]
    key: str
    start_with: threading.Barrier | None = None  # the twin attempt waits on the same barrier
    after: threading.Event | None = None  # set when the first attempt has finished
    done: threading.Event = field(default_factory=threading.Event)


def _submit(attempt: Attempt) -> tuple[int, list[int], int | None, str]:
    """(point, reading ids, invoice id, billing error) of one submission, on this thread's own connection."""
    try:
        if attempt.start_with is not None:
            attempt.start_with.wait(timeout=60)
        if attempt.after is not None:
            assert attempt.after.wait(timeout=300), "the first attempt never finished"
        outcome = submission_confirm(
            actor=Actor(user=None, channel="portal", ip="192.0.2.10"),
            service_point=attempt.point,
            date=READ_ON,
            values=attempt.values,
            source=Source.PORTAL,
            idempotency_key=attempt.key,
            issue_invoice=True,
        )
        return (
            attempt.point.pk,
            sorted(r.pk for r in outcome.readings),
            outcome.invoice.pk if outcome.invoice else None,
            outcome.billing_error,
        )
    finally:
        attempt.done.set()
        connection.close()  # the pool's threads each opened their own connection


def _points(group) -> list[tuple[ServicePoint, dict[int, str]]]:
    """200 addresses of 200 customers, each with a main meter; every fifth also with a garden meter."""
    made = []
    for i in range(POINTS):
        point = factories.make_point(factories.make_customer(), group)
        main = factories.make_meter(point, reading="0")
        values = {main.pk: str(10 + i % 9)}
        if i % 5 == 0:
            garden = factories.make_meter(point, reading="0", role=MeterRole.ADDITIONAL)
            values[garden.pk] = "2"
        made.append((point, values))
    return made


@pytest.mark.django_db(transaction=True)
def test_two_hundred_submissions_at_once_with_retries_give_one_reading_per_meter_and_one_invoice_each(tariff):
    points = _points(tariff.group)
    firsts = [Attempt(point, values, key=f"form-{point.pk}") for point, values in points]
    together = firsts[:RETRIED_TOGETHER]
    later = firsts[-RETRIED_AFTER:]
    # The twins released together go first, so that all of them are taken by threads at once.
    queue: list[Attempt] = []
    for first in together:
        first.start_with = threading.Barrier(2)
        queue += [first, Attempt(first.point, first.values, first.key, start_with=first.start_with)]
    queue += firsts[RETRIED_TOGETHER:]
    queue += [Attempt(first.point, first.values, first.key, after=first.done) for first in later]
    assert len(queue) == POINTS * 110 // 100

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(_submit, queue, timeout=600))
    elapsed = time.monotonic() - started
    print(f"{len(queue)} submissions in {elapsed:.1f} s on {THREADS} threads")

    # Every attempt of an address got the same readings and the same invoice back.
    by_point: dict[int, set] = {}
    for point_id, reading_ids, invoice_id, billing_error in results:
        assert invoice_id is not None, billing_error
        by_point.setdefault(point_id, set()).add((tuple(reading_ids), invoice_id))
    assert len(by_point) == POINTS
    assert all(len(answers) == 1 for answers in by_point.values())

    # One accepted reading per meter.
    meters = Meter.objects.count()
    per_meter = Counter(Reading.objects.values_list("meter_id", flat=True))
    assert len(per_meter) == meters and set(per_meter.values()) == {1}
    assert set(Reading.objects.values_list("status", flat=True)) == {Status.ACCEPTED}
    assert AuditEntry.objects.filter(action="reading.accepted").count() == meters

    # One invoice per address, numbered 1..N without gaps, each booked on the ledger and delivered once.
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE)
    per_point = dict(invoices.values_list("service_point").annotate(n=Count("id")))
    assert len(per_point) == POINTS and set(per_point.values()) == {1}
    [year] = invoices.order_by().values_list("year", flat=True).distinct()
    rows = sorted(invoices.values_list("sequence", "number"))
    assert [sequence for sequence, _ in rows] == list(range(1, POINTS + 1))
    assert [number for _, number in rows] == [f"FV/{year}/{n:06d}" for n in range(1, POINTS + 1)]
    assert InvoiceCounter.objects.get(series=InvoiceKind.INVOICE, year=year).last_number == POINTS
    assert AuditEntry.objects.filter(action="invoice.issued").count() == POINTS

    entries = list(LedgerEntry.objects.values_list("kind", "invoice_id", "amount"))
    assert len(entries) == POINTS
    assert {kind for kind, _, _ in entries} == {EntryKind.INVOICE}
    assert sorted((invoice_id, amount) for _, invoice_id, amount in entries) == sorted(
        invoices.values_list("id", "total_gross")
    )
    assert InvoiceDelivery.objects.count() == POINTS
    for invoice in invoices.select_related("customer"):
        assert balance_for_customer(invoice.customer) == invoice.total_gross
