"""The billing run's batch (`invoices_issue_batch`) gives exactly what `invoice_issue` gives point by point."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ebok.audit.models import AuditEntry
from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice, InvoiceCounter
from ebok.billing.run import invoices_issue_batch
from ebok.billing.selectors import points_to_bill
from ebok.billing.services import invoice_issue
from ebok.common import clock
from ebok.common.actor import CLI, SYSTEM
from ebok.company.models import Company
from ebok.customers.models import CustomerKind
from ebok.metering.models import MeterRole, ServicePoint
from ebok.metering.services import meter_replace
from ebok.payments.models import LedgerEntry
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db

OPENING = dt.date(2024, 12, 31)
UP_TO = dt.date(2025, 5, 31)
ISSUED_AT = dt.datetime(2025, 6, 2, 8, tzinfo=dt.UTC)


def _read(meter, day: dt.date, value: str) -> None:
    reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)


def _points(group, other_group) -> None:
    """Points of every shape billing knows, plus a few it must skip."""
    simple = factories.make_point(factories.make_customer(), group)
    _read(factories.make_meter(simple), dt.date(2025, 3, 31), "12.5")

    garden = factories.make_point(factories.make_customer(language="en", name="John Smith"), group)
    _read(factories.make_meter(garden), dt.date(2025, 4, 30), "30")
    _read(factories.make_meter(garden, role=MeterRole.ADDITIONAL), dt.date(2025, 4, 30), "4.2")

    no_sewage = factories.make_point(factories.make_customer(), group, has_sewage=False)
    _read(factories.make_meter(no_sewage), dt.date(2025, 5, 31), "20")

    business = factories.make_customer(kind=CustomerKind.BUSINESS, name="Piekarnia Sp. z o.o.")
    for street in ("ul. Długa 1", "ul. Długa 3"):  # two points of one customer: balance_before adds up
        point = factories.make_point(business, other_group, street=street)
        _read(factories.make_meter(point, reading="100"), dt.date(2025, 5, 31), "180")

    billed_before = factories.make_point(factories.make_customer(), group)
    meter = factories.make_meter(billed_before)
    _read(meter, dt.date(2025, 2, 28), "5")
    invoice_issue(actor=SYSTEM, service_point=billed_before, up_to=dt.date(2025, 2, 28))
    _read(meter, dt.date(2025, 5, 31), "11")

    replaced = factories.make_point(factories.make_customer(), group)
    old = factories.make_meter(replaced, reading="500")
    meter_replace(
        actor=SYSTEM,
        old_meter=old,
        on=dt.date(2025, 3, 15),
        removal_reading=D("520"),
        new_serial_number="WM-NEW-1",
        installation_reading=D("0"),
    )
    _read(replaced.meters.get(serial_number="WM-NEW-1"), dt.date(2025, 5, 31), "9")

    missing_garden = factories.make_point(factories.make_customer(), group)
    _read(factories.make_meter(missing_garden), dt.date(2025, 4, 30), "10")
    factories.make_meter(missing_garden, role=MeterRole.ADDITIONAL)  # never read → missing_reading

    held = factories.make_point(factories.make_customer(), group)
    first, second = factories.make_meter(held), factories.make_meter(held)
    _read(first, dt.date(2025, 4, 30), "10")
    _read(second, dt.date(2025, 4, 30), "99999")  # implausible → held → reading_held


def _snapshot() -> list[dict]:
    """Every invoice with its lines, meter rows, ledger entry and audit entry, without database ids."""
    out = []
    for invoice in Invoice.objects.order_by("number").prefetch_related("lines", "meter_readings"):
        fields = {f.attname: getattr(invoice, f.attname) for f in Invoice._meta.concrete_fields}
        fields.pop("id")
        fields["lines"] = [
            (ln.side, ln.position, ln.kind, ln.description, ln.unit, ln.quantity, ln.unit_net_price, ln.net)
            for ln in invoice.lines.all()
        ]
        fields["meters"] = [
            (
                m.meter_id,
                m.previous_date,
                m.previous_value,
                m.new_date,
                m.new_value,
                m.consumption,
                m.new_reading_id,
            )
            for m in invoice.meter_readings.all()
        ]
        entry = LedgerEntry.objects.get(invoice=invoice)
        fields["ledger"] = (entry.kind, entry.amount, entry.booked_on, entry.due_date, entry.created_at)
        audit = AuditEntry.objects.get(action="invoice.issued", object_id=str(invoice.pk))
        fields["audit"] = (audit.channel, audit.customer_id, audit.data, audit.at)
        out.append(fields)
    return out


def _one_by_one(candidates) -> tuple[list[dict], dict[int, str]]:
    """What invoice_issue gives point by point in id order; rolled back afterwards."""
    skipped = {}
    with transaction.atomic():
        for pk, bill_to in candidates:
            try:
                with transaction.atomic():
                    invoice_issue(actor=CLI, service_point=ServicePoint(pk=pk), up_to=bill_to)
            except BillingError as error:
                skipped[pk] = error.code
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return snapshot, skipped


@pytest.fixture
def utility(settings):
    factories.make_company()
    group, other = factories.make_tariff_group(), factories.make_tariff_group("G2", "Firmy")
    factories.make_tariff(group, dt.date(2020, 1, 1))
    factories.make_tariff(group, dt.date(2025, 4, 1), water="6.51", sewage="9.14", subscription="17.90")
    factories.make_tariff(other, dt.date(2020, 1, 1), water="7.10", sewage="9.90", subscription="25.00")
    with clock.frozen_at(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)):
        _points(group, other)
    return group


def test_a_batch_issues_the_same_invoices_as_invoice_issue_point_by_point(utility):
    candidates = list(points_to_bill(UP_TO).values_list("pk", "bill_to"))
    with clock.frozen_at(ISSUED_AT):
        expected, expected_skipped = _one_by_one(candidates)
        result = invoices_issue_batch(actor=CLI, candidates=candidates)

    assert len(expected) == 8  # the eight invoiceable points of _points (one invoiced before)
    assert _snapshot() == expected
    assert {pk: error.code for pk, error in result.skipped.items()} == expected_skipped
    assert sorted(expected_skipped.values()) == ["missing_reading", "reading_held"]
    assert len(result.issued) == 7 and result.taken == [] and result.already_issued == []


def test_a_batch_numbers_gap_free_after_earlier_invoices_and_again_returns_nothing_new(utility):
    candidates = list(points_to_bill(UP_TO).values_list("pk", "bill_to"))
    with clock.frozen_at(ISSUED_AT):
        first = invoices_issue_batch(actor=CLI, candidates=candidates)
        again = invoices_issue_batch(actor=CLI, candidates=candidates)

    sequences = sorted(Invoice.objects.filter(year=2025).values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert InvoiceCounter.objects.get(series="invoice", year=2025).last_number == len(sequences)
    assert again.issued == [] and sorted(again.already_issued) == sorted(
        i.service_point_id for i in first.issued
    )


def test_the_split_by_readings_setting_gives_the_same_invoices_in_a_batch(utility):
    Company.objects.update(split_by_reading_on_change_date=True)
    point = factories.make_point(factories.make_customer(), utility)
    meter = factories.make_meter(point)
    with clock.frozen_at(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)):
        _read(meter, dt.date(2025, 3, 31), "8")  # the day before the new tariff: segments billed by readings
        _read(meter, dt.date(2025, 5, 31), "15")
    candidates = list(points_to_bill(UP_TO).values_list("pk", "bill_to"))
    with clock.frozen_at(ISSUED_AT):
        expected, _skipped = _one_by_one(candidates)
        invoices_issue_batch(actor=CLI, candidates=candidates)

    assert _snapshot() == expected


def test_a_batch_reads_with_the_same_queries_for_ten_points_as_for_forty(utility):
    """Reads and locks don't grow with the batch; INSERTs neither on PostgreSQL (SQLite splits them at 999
    parameters)."""

    def queries_for(count: int, street: str) -> int:
        with clock.frozen_at(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)):
            for i in range(count):
                point = factories.make_point(factories.make_customer(), utility, street=f"{street} {i}")
                meter = factories.make_meter(point)
                _read(meter, dt.date(2025, 5, 31), "10")
                if i % 2:
                    _read(factories.make_meter(point, role=MeterRole.ADDITIONAL), dt.date(2025, 5, 31), "1")
        candidates = list(points_to_bill(UP_TO).values_list("pk", "bill_to"))
        with CaptureQueriesContext(connection) as queries, clock.frozen_at(ISSUED_AT):
            result = invoices_issue_batch(actor=CLI, candidates=candidates)
        assert len(result.issued) >= count
        statements = [q["sql"] for q in queries.captured_queries]
        if connection.vendor == "sqlite":
            statements = [sql for sql in statements if not sql.startswith("INSERT")]
        return len(statements)

    assert queries_for(10, "ul. Krótka") == queries_for(40, "ul. Szeroka")
