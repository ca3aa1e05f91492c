"""Many writers at once on PostgreSQL: gap-free numbers, one invoice per reading, `bill` run twice in parallel.

Real threads, each with its own database connection, started together with a barrier. SQLite serialises
writers with IMMEDIATE transactions and its test database lives in memory, so these run on PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from ebok.billing.models import Invoice, InvoiceCounter, InvoiceKind
from ebok.billing.services import invoice_issue
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.common.nrb import individual_account
from ebok.company.models import Company
from ebok.customers.models import Customer
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.payments.models import EntryKind, LedgerEntry
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import reading_submit, readings_submit_for_point
from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL row locks (run with DATABASE_URL=postgres://...)",
    ),
]

READ_ON = dt.date(2025, 3, 31)
THREADS = 8
POINTS = 2_000
SHARED = 40  # the last points are issued by every thread at once: all but one must get the same invoice back


def _bulk_points(group, count: int, *, first_code: int = 500_000) -> list[ServicePoint]:
    """`count` points, each with one main meter read once on READ_ON (accepted), inserted in bulk."""
    prefix = Company.objects.get().bank_account_prefix
    now = clock.now()
    customers = Customer.objects.bulk_create(
        [
            Customer(
                code=str(first_code + i),
                name=f"Odbiorca {i}",
                street=f"ul. Długa {i}",
                postal_code="26-065",
                city="Piekoszów",
                bank_account=individual_account(prefix, str(first_code + i)),
                created_at=now,
            )
            for i in range(count)
        ]
    )
    points = ServicePoint.objects.bulk_create(
        [
            ServicePoint(
                customer=customer,
                tariff_group=group,
                street=customer.street,
                postal_code="26-065",
                city="Piekoszów",
                billed_until=dt.date(2024, 12, 31),
                residents=3,
            )
            for customer in customers
        ]
    )
    meters = Meter.objects.bulk_create(
        [
            Meter(
                service_point=point,
                serial_number=f"CC-{point.pk}",
                role=MeterRole.MAIN,
                digits=5,
                installed_on=point.billed_until,
                installation_reading=D("0"),
            )
            for point in points
        ]
    )
    Reading.objects.bulk_create(
        [
            Reading(
                meter=meter,
                date=READ_ON,
                value=D(10 + i % 9),
                source=Source.REMOTE,
                status=Status.ACCEPTED,
                created_at=now,
            )
            for i, meter in enumerate(meters)
        ]
    )
    return points


def _run_together(count: int, work: Callable[[int], object]) -> list:
    """Run work(0..count-1) in threads released at the same moment; re-raise the first error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[k] = work(k)
        except BaseException as error:  # reported to the test thread below
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 600
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0))
    assert not any(thread.is_alive() for thread in threads), "a thread is still running (deadlock?)"
    if errors:
        raise errors[0]
    return results


def _assert_one_invoice_per_point_numbered_gap_free(expected_points: set[int]) -> None:
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE)
    per_point = dict(invoices.values_list("service_point").annotate(n=Count("id")))
    assert set(per_point) == expected_points
    assert set(per_point.values()) == {1}
    for year in invoices.values_list("year", flat=True).distinct():
        rows = list(invoices.filter(year=year).values_list("sequence", "number"))
        assert sorted(sequence for sequence, _ in rows) == list(range(1, len(rows) + 1))
        assert {number for _, number in rows} == {f"FV/{year}/{sequence:06d}" for sequence, _ in rows}
        assert InvoiceCounter.objects.get(series=InvoiceKind.INVOICE, year=year).last_number == len(rows)
    assert LedgerEntry.objects.filter(kind=EntryKind.INVOICE).count() == len(per_point)


@pytest.mark.django_db(transaction=True)
def test_eight_threads_issue_two_thousand_invoices_numbered_without_gaps(tariff):
    points = _bulk_points(tariff.group, POINTS)
    own, shared = points[:-SHARED], points[-SHARED:]

    def work(k: int) -> tuple[int, list[int]]:
        issued = sum(
            1 for point in own[k::THREADS] if invoice_issue(actor=SYSTEM, service_point=point, up_to=READ_ON)
        )
        # Then every thread issues the same points, each starting at a different one.
        start = k * SHARED // THREADS
        rotated = shared[start:] + shared[:start]
        same = {
            point.pk: invoice_issue(actor=SYSTEM, service_point=point, up_to=READ_ON).pk for point in rotated
        }
        return issued, [same[point.pk] for point in shared]

    results = _run_together(THREADS, work)

    assert sum(issued for issued, _ in results) == len(own)
    assert len({tuple(same) for _, same in results}) == 1  # every thread got the same invoice of each point
    assert Invoice.objects.count() == POINTS
    _assert_one_invoice_per_point_numbered_gap_free({point.pk for point in points})


@pytest.mark.parametrize(
    "keys",
    [(None, None), ("retry-1", "retry-1"), ("retry-1", None)],
    ids=["no key", "same key", "key and no key"],
)
@pytest.mark.django_db(transaction=True)
def test_the_same_reading_submitted_twice_at_once_gives_one_reading_and_one_invoice(tariff, keys):
    for round_ in range(5):
        point = factories.make_point(factories.make_customer(), tariff.group)
        meter = factories.make_meter(point, reading="0")

        def work(k: int, meter=meter, point=point, round_=round_) -> tuple[int, int]:
            key = f"{keys[k]}-{round_}" if keys[k] else None
            reading = reading_submit(
                actor=SYSTEM, meter=meter, value="10", date=READ_ON, source=Source.PORTAL, idempotency_key=key
            )
            return reading.pk, invoice_issue(actor=SYSTEM, service_point=point, up_to=reading.date).pk

        first, second = _run_together(2, work)

        assert first == second
        assert Reading.objects.filter(meter=meter).count() == 1
        assert Invoice.objects.filter(service_point=point).count() == 1
    _assert_one_invoice_per_point_numbered_gap_free(set(ServicePoint.objects.values_list("pk", flat=True)))


@pytest.mark.django_db(transaction=True)
def test_the_same_point_form_submitted_twice_at_once_gives_one_reading_per_meter_and_one_invoice(tariff):
    point = factories.make_point(factories.make_customer(), tariff.group)
    main = factories.make_meter(point, reading="0")
    garden = factories.make_meter(point, reading="0", role=MeterRole.ADDITIONAL)

    def work(k: int) -> tuple[set[int], int]:
        readings = readings_submit_for_point(
            actor=SYSTEM,
            service_point=point,
            date=READ_ON,
            values={main.pk: "10", garden.pk: "2"},
            source=Source.PORTAL,
            idempotency_key="double-click",
        )
        return {r.pk for r in readings}, invoice_issue(actor=SYSTEM, service_point=point, up_to=READ_ON).pk

    first, second = _run_together(2, work)

    assert first == second
    assert Reading.objects.filter(status=Status.ACCEPTED).count() == 2
    assert Invoice.objects.get().lines.get(kind="sewage").quantity == D("8.000")


@pytest.mark.django_db(transaction=True)
def test_a_reading_submitted_while_its_point_is_being_invoiced_waits_instead_of_deadlocking(tariff):
    """A meter reader's reading arrives while `bill` holds the point (exactly what the command does: lock the
    point, then invoice_issue). The reading must wait for the invoice and then be stored, not deadlock."""
    point = factories.make_point(factories.make_customer(), tariff.group)
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="10", date=READ_ON, source=Source.READER)
    point_locked = threading.Event()

    def work(k: int):
        if k == 0:  # `bill`
            with transaction.atomic():
                ServicePoint.objects.select_for_update().get(pk=point.pk)
                point_locked.set()
                with connection.cursor() as cursor:  # until the reading's transaction is waiting for a lock
                    for _ in range(200):
                        cursor.execute(
                            "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid) "
                            "WHERE NOT granted AND datname = current_database()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.02)
                return invoice_issue(actor=SYSTEM, service_point=point, up_to=READ_ON).period_end
        point_locked.wait(10)  # the meter reader
        return reading_submit(
            actor=SYSTEM, meter=meter, value="15", date=dt.date(2025, 4, 30), source=Source.READER
        ).status

    assert _run_together(2, work) == [READ_ON, Status.ACCEPTED]
    assert Reading.objects.filter(meter=meter, status=Status.ACCEPTED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_bill_commands_at_once_share_the_work_and_issue_each_invoice_once(tariff):
    points = _bulk_points(tariff.group, 240)

    def work(k: int) -> dict[str, int]:
        out = StringIO()
        call_command(
            "bill", "--date", READ_ON.isoformat(), "--chunk", "50", verbosity=0, stdout=out, stderr=StringIO()
        )
        return Counter(
            {m[1]: int(m[2]) for m in re.finditer(r"^([A-Z][a-z ]+): (\d+)$", out.getvalue(), re.M)}
        )

    first, second = _run_together(2, work)

    assert first["Issued"] + second["Issued"] == len(points)
    assert first["Issued"] > 0 and second["Issued"] > 0, (first, second)  # both did part of the work
    assert first["Skipped"] == second["Skipped"] == 0
    _assert_one_invoice_per_point_numbered_gap_free({point.pk for point in points})
