"""Payments, allocation and balance (billing-rules §8): derived from the ledger, never stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.payments.models import LedgerEntry, Payment
from ebok.payments.selectors import balance_for_customer, settlement_for_customer
from ebok.payments.services import opening_balance_record, payment_assign, payment_record
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_invoices(tariff, today):
    """Three monthly invoices of 5 m³ each for a point without sewage."""
    customer = factories.make_customer()
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2025, 1, 31), has_sewage=False)
    meter = factories.make_meter(point, reading="0")
    invoices = []
    for day, value in [
        (dt.date(2025, 2, 28), "5"),
        (dt.date(2025, 3, 31), "10"),
        (dt.date(2025, 4, 30), "15"),
    ]:
        reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)
        invoices.append(invoice_issue(actor=SYSTEM, service_point=point, up_to=day, issue_date=day))
    # each: water 5 × 6.24 = 31.20 + subscription 17.20 = 48.40 net; VAT 3.87; gross 52.27
    assert [i.total_gross for i in invoices] == [D("52.27")] * 3
    return customer, invoices


def _open(customer):
    return [(item.number, item.open) for item in settlement_for_customer(customer).items]


def test_payment_without_a_title_settles_the_oldest_due_invoice_first(three_invoices):
    customer, invoices = three_invoices

    payment_record(actor=SYSTEM, customer=customer, amount=D("60.00"), received_on=dt.date(2025, 5, 5))

    assert _open(customer) == [
        (invoices[0].number, D("0.00")),
        (invoices[1].number, D("44.54")),
        (invoices[2].number, D("52.27")),
    ]
    assert balance_for_customer(customer) == D("96.81")


def test_payment_naming_an_invoice_in_its_title_settles_that_invoice_first(three_invoices):
    customer, invoices = three_invoices
    title = f"Zapłata za fakturę {invoices[2].number.replace('/', ' ')}"

    payment = payment_record(
        actor=SYSTEM, customer=customer, amount=D("60.00"), received_on=dt.date(2025, 5, 5), title=title
    )

    assert payment.invoice == invoices[2]
    # 52.27 to the named invoice, the remaining 7.73 to the oldest one
    assert _open(customer) == [
        (invoices[0].number, D("44.54")),
        (invoices[1].number, D("52.27")),
        (invoices[2].number, D("0.00")),
    ]


def test_overpayment_stays_as_credit_and_is_used_by_the_next_invoice(tariff, today):
    customer = factories.make_customer()
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2025, 1, 31), has_sewage=False)
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 2, 28), source=Source.READER)
    first = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 2, 28))
    payment_record(actor=SYSTEM, customer=customer, amount=D("100.00"), received_on=dt.date(2025, 3, 5))

    assert settlement_for_customer(customer).credit == D("47.73")
    assert balance_for_customer(customer) == D("-47.73")

    reading_submit(actor=SYSTEM, meter=meter, value="10", date=dt.date(2025, 3, 31), source=Source.READER)
    second = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    settlement = settlement_for_customer(customer)
    assert second.balance_before == D("-47.73")
    assert settlement.credit == D("0.00")
    assert [(i.number, i.open) for i in settlement.items] == [
        (first.number, D("0.00")),
        (second.number, D("4.54")),
    ]
    assert balance_for_customer(customer) == D("4.54")


def test_open_total_minus_credit_always_equals_the_ledger_balance(three_invoices):
    customer, _invoices = three_invoices
    opening_balance_record(actor=SYSTEM, customer=customer, amount=D("-10.00"), on=dt.date(2025, 1, 31))
    for amount in ("20.00", "75.50", "3.01"):
        payment_record(actor=SYSTEM, customer=customer, amount=D(amount), received_on=dt.date(2025, 5, 5))
        settlement = settlement_for_customer(customer)
        assert settlement.open_total - settlement.credit == balance_for_customer(customer)


def test_overdue_amount_counts_only_invoices_past_their_due_date(three_invoices):
    customer, invoices = three_invoices

    settlement = settlement_for_customer(customer)

    # due 14 days after each issue date (28.02, 31.03, 30.04): on 1 May only the first two are overdue
    assert settlement.overdue_total(dt.date(2025, 5, 1)) == D("104.54")


def test_same_bank_reference_records_one_payment(three_invoices):
    customer, _invoices = three_invoices

    first = payment_record(
        actor=SYSTEM,
        customer=customer,
        amount=D("10.00"),
        received_on=dt.date(2025, 5, 5),
        bank_reference="STMT-1/TX-7",
    )
    again = payment_record(
        actor=SYSTEM,
        customer=customer,
        amount=D("10.00"),
        received_on=dt.date(2025, 5, 5),
        bank_reference="STMT-1/TX-7",
    )

    assert first.pk == again.pk
    assert LedgerEntry.objects.filter(payment__isnull=False).count() == 1


def test_unmatched_payment_waits_off_the_ledger_until_a_clerk_assigns_it(three_invoices):
    customer, _invoices = three_invoices
    payment = payment_record(actor=SYSTEM, amount=D("52.27"), received_on=dt.date(2025, 5, 5), title="woda")
    assert balance_for_customer(customer) == D("156.81")

    payment_assign(actor=SYSTEM, payment=payment, customer=customer)

    assert Payment.objects.get(pk=payment.pk).customer == customer
    assert balance_for_customer(customer) == D("104.54")


@pytest.mark.parametrize("amount", [D("0"), D("-5.00"), D("1.005")])
def test_payment_amount_must_be_positive_in_grosze(three_invoices, amount):
    from django.core.exceptions import ValidationError

    customer, _invoices = three_invoices
    with pytest.raises(ValidationError):
        payment_record(actor=SYSTEM, customer=customer, amount=amount, received_on=dt.date(2025, 5, 5))
