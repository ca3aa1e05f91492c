"""Correction invoices (KOREKTA, art. 106j): before / after / difference, and the ledger follows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.billing.messages import BillingError
from ebok.billing.models import InvoiceKind, LineSide
from ebok.billing.services import invoice_correct, invoice_issue
from ebok.common.actor import SYSTEM
from ebok.payments.selectors import balance_for_customer, settlement_for_customer
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import reading_submit
from ebok.tariffs.models import Tariff
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced(tariff, today):
    point = factories.make_point(
        factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28), has_sewage=False
    )
    meter = factories.make_meter(point, reading="100")
    reading_submit(actor=SYSTEM, meter=meter, value="112", date=dt.date(2025, 3, 31), source=Source.PHONE)
    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))
    # water 12 × 6.24 = 74.88 + 17.20 = 92.08 net, VAT 7.37, gross 99.45
    assert invoice.total_gross == D("99.45")
    return invoice, meter


def test_wrong_reading_is_corrected_by_a_korekta_with_before_after_and_difference(invoiced):
    invoice, meter = invoiced

    correction = invoice_correct(
        actor=SYSTEM,
        invoice=invoice,
        reason="Błędnie odczytany stan (121 zamiast 112)",
        readings={meter.pk: D("110")},
    )

    assert correction.kind == InvoiceKind.CORRECTION
    assert correction.number == "KOR/2025/000001"
    assert correction.corrects == invoice
    before = correction.lines.get(side=LineSide.BEFORE, kind="water")
    after = correction.lines.get(side=LineSide.AFTER, kind="water")
    assert (before.quantity, before.net) == (D("12.000"), D("74.88"))
    assert (after.quantity, after.net) == (D("10.000"), D("62.40"))
    # after: 62.40 + 17.20 = 79.60 net, VAT 6.37, gross 85.97 → difference −12.48 net, −1.00 VAT, −13.48 gross
    assert (correction.total_net, correction.total_vat, correction.total_gross) == (
        D("-12.48"),
        D("-1.00"),
        D("-13.48"),
    )
    assert balance_for_customer(invoice.customer) == D("85.97")
    assert [(i.number, i.open) for i in settlement_for_customer(invoice.customer).items] == [
        (invoice.number, D("85.97"))
    ]


def test_corrected_reading_replaces_the_wrong_one_for_the_next_invoice(invoiced, today):
    invoice, meter = invoiced
    invoice_correct(actor=SYSTEM, invoice=invoice, reason="Błąd odczytu", readings={meter.pk: D("110")})

    assert Reading.objects.get(meter=meter, value=D("112")).status == Status.WITHDRAWN
    reading_submit(actor=SYSTEM, meter=meter, value="115", date=dt.date(2025, 4, 30), source=Source.PORTAL)
    next_invoice = invoice_issue(
        actor=SYSTEM, service_point=invoice.service_point, up_to=dt.date(2025, 4, 30)
    )

    assert next_invoice.lines.get(kind="water").quantity == D("5.000")  # 115 − 110, not 115 − 112


def test_price_correction_recomputes_the_period_at_the_corrected_prices(invoiced):
    invoice, _meter = invoiced
    Tariff.objects.filter(group=invoice.service_point.tariff_group).update(water_price=D("6.00"))

    correction = invoice_correct(actor=SYSTEM, invoice=invoice, reason="Błędna cena w taryfie")

    # 12 × 6.00 = 72.00 (was 74.88): −2.88 net; VAT 7.14 vs 7.37: −0.23
    assert (correction.total_net, correction.total_vat, correction.total_gross) == (
        D("-2.88"),
        D("-0.23"),
        D("-3.11"),
    )


def test_correction_that_changes_nothing_is_refused(invoiced):
    invoice, meter = invoiced

    with pytest.raises(BillingError) as error:
        invoice_correct(actor=SYSTEM, invoice=invoice, reason="nic", readings={meter.pk: D("112")})

    assert error.value.code == "nothing_to_correct"


def test_correction_needs_a_reason(invoiced):
    invoice, meter = invoiced

    with pytest.raises(BillingError) as error:
        invoice_correct(actor=SYSTEM, invoice=invoice, reason="  ", readings={meter.pk: D("110")})

    assert error.value.code == "reason_required"


def test_second_correction_starts_from_the_first_corrections_figures(invoiced):
    invoice, meter = invoiced
    invoice_correct(actor=SYSTEM, invoice=invoice, reason="pierwsza", readings={meter.pk: D("110")})

    second = invoice_correct(actor=SYSTEM, invoice=invoice, reason="druga", readings={meter.pk: D("111")})

    assert second.lines.get(side=LineSide.BEFORE, kind="water").quantity == D("10.000")
    assert second.lines.get(side=LineSide.AFTER, kind="water").quantity == D("11.000")
    assert second.number == "KOR/2025/000002"
    assert balance_for_customer(invoice.customer) == D("92.71")  # 11 × 6.24 = 68.64 + 17.20 = 85.84 + 6.87
