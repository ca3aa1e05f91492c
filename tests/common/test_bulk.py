"""insert_many writes new rows (COPY on PostgreSQL, bulk_create elsewhere) exactly as the ORM would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ebok.audit.models import AuditEntry
from ebok.billing.models import InvoiceCounter
from ebok.common.bulk import insert_many
from ebok.customers.models import Customer
from ebok.payments.models import LedgerEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_rows_come_back_with_their_ids_and_every_field_as_written():
    at = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    entries = [
        AuditEntry(
            at=at,
            channel="cli",
            action="invoice.issued",
            object_type="billing.invoice",
            object_id=str(i),
            customer_id=i,
            data={
                "number": f"FV/2026/{i:06d}",
                "gross": "123.45",
                "period": ["2026-01-01", "2026-02-28"],
                "ł": "ż",
            },
            ip="192.0.2.7" if i % 2 else None,
        )
        for i in range(1, 6)
    ]

    insert_many(entries)

    assert all(entry.pk for entry in entries) and len({entry.pk for entry in entries}) == 5
    stored = {e.pk: e for e in AuditEntry.objects.filter(pk__in=[e.pk for e in entries])}
    for entry in entries:
        row = stored[entry.pk]
        assert (row.at, row.channel, row.object_id, row.customer_id, row.data, row.ip) == (
            at,
            "cli",
            entry.object_id,
            entry.customer_id,
            entry.data,
            entry.ip,
        )


def test_rows_that_point_to_rows_written_just_before_get_their_ids():
    factories.make_company()
    customer = factories.make_customer()
    counters = [InvoiceCounter(series="invoice", year=2030 + i) for i in range(3)]
    insert_many(counters)
    entries = [
        LedgerEntry(
            customer=Customer(pk=customer.pk),
            kind="opening",
            amount=Decimal("-12.34"),
            booked_on=dt.date(2026, 3, 1),
            note="saldo otwarcia",
            created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )
    ]
    insert_many(entries)

    assert InvoiceCounter.objects.filter(year__gte=2030).count() == 3
    entry = LedgerEntry.objects.get(pk=entries[0].pk)
    assert (entry.customer_id, entry.amount, entry.note) == (customer.pk, Decimal("-12.34"), "saldo otwarcia")
    assert entry.due_date is None and entry.invoice_id is None


def test_new_rows_after_insert_many_take_the_next_ids():
    first = [InvoiceCounter(series="invoice", year=2040 + i) for i in range(2)]
    insert_many(first)
    later = InvoiceCounter.objects.create(series="invoice", year=2050)
    assert later.pk > max(c.pk for c in first)


def test_nothing_to_insert_is_fine():
    insert_many([])
