"""Issuing invoices from readings: billing-rules §2–§7 end to end through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice, InvoiceLine, InvoiceMeterReading
from ebok.billing.services import invoice_issue, preview_invoice
from ebok.common.actor import SYSTEM
from ebok.common.frozen import ImmutableError
from ebok.customers.models import CustomerKind
from ebok.metering.models import MeterRole
from ebok.metering.services import meter_replace
from ebok.payments.selectors import balance_for_customer
from ebok.readings.models import Source
from ebok.readings.services import reading_submit, readings_submit_for_point
from tests import factories

pytestmark = pytest.mark.django_db


def _lines(invoice):
    return [(line.kind, line.quantity, line.unit_net_price, line.net) for line in invoice.lines.all()]


@pytest.fixture
def worked_example(tariff, today):
    """billing-rules §10: main meter 1200 → 1210, garden meter 50 → 52, 1–31 March."""
    customer = factories.make_customer()
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2025, 2, 28))
    main = factories.make_meter(point, reading="1200")
    garden = factories.make_meter(point, reading="50", role=MeterRole.ADDITIONAL)
    readings_submit_for_point(
        actor=SYSTEM,
        service_point=point,
        date=dt.date(2025, 3, 31),
        values={main.pk: "1210", garden.pk: "52"},
        source=Source.PORTAL,
    )
    return point


def test_worked_example_of_billing_rules_is_invoiced_to_the_grosz(worked_example):
    invoice = invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 31))

    assert _lines(invoice) == [
        ("water", D("10.000"), D("6.2400"), D("62.40")),
        ("sewage", D("8.000"), D("8.8200"), D("70.56")),
        ("subscription", D("1.000"), D("17.2000"), D("17.20")),
    ]
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        D("150.16"),
        D("12.01"),
        D("162.17"),
    )
    assert (invoice.period_start, invoice.period_end) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert invoice.number == "FV/2025/000001"
    assert invoice.due_date == invoice.issue_date + dt.timedelta(days=14)
    assert balance_for_customer(invoice.customer) == D("162.17")


def test_invoice_freezes_seller_buyer_point_and_meter_readings(worked_example):
    invoice = invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 31))
    customer = invoice.customer
    customer.name = "Someone Else"
    customer.save()

    invoice.refresh_from_db()
    assert invoice.buyer["name"] == "Jan Kowalski"
    assert invoice.buyer["code"] == customer.code
    assert invoice.seller["nip"] == "6572948401"
    assert invoice.point["city"] == "Piekoszów"
    meters = {
        (m.role, m.previous_value, m.new_value, m.previous_date, m.new_date)
        for m in InvoiceMeterReading.objects.filter(invoice=invoice)
    }
    assert meters == {
        ("main", D("1200"), D("1210"), dt.date(2025, 2, 28), dt.date(2025, 3, 31)),
        ("additional", D("50"), D("52"), dt.date(2025, 2, 28), dt.date(2025, 3, 31)),
    }


def test_issuing_twice_for_the_same_reading_returns_the_same_invoice(worked_example):
    first = invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 31))
    second = invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 31))

    assert first.pk == second.pk
    assert Invoice.objects.count() == 1
    assert balance_for_customer(first.customer) == D("162.17")


def test_preview_computes_the_same_figures_without_writing_anything(worked_example):
    draft = preview_invoice(service_point=worked_example, up_to=dt.date(2025, 3, 31))

    assert draft.totals.gross == D("162.17")
    assert Invoice.objects.count() == 0


def test_issued_invoice_can_be_neither_edited_nor_deleted(worked_example):
    invoice = invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 31))

    with pytest.raises(ImmutableError):
        invoice.save()
    with pytest.raises(ImmutableError):
        invoice.delete()
    with pytest.raises(ImmutableError):
        Invoice.objects.filter(pk=invoice.pk).update(total_gross=0)
    with pytest.raises(ImmutableError):
        InvoiceLine.objects.filter(invoice=invoice).delete()


def test_consecutive_invoices_adjoin_and_are_numbered_without_gaps(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 1, 31))
    meter = factories.make_meter(point, reading="100")
    numbers, periods = [], []
    for day, value in [
        (dt.date(2025, 2, 28), "105"),
        (dt.date(2025, 3, 31), "111"),
        (dt.date(2025, 4, 30), "118"),
    ]:
        reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.PHONE)
        invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=day)
        numbers.append(invoice.number)
        periods.append((invoice.period_start, invoice.period_end))

    assert numbers == ["FV/2025/000001", "FV/2025/000002", "FV/2025/000003"]
    assert periods == [
        (dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        (dt.date(2025, 4, 1), dt.date(2025, 4, 30)),
    ]


def test_tariff_change_inside_the_period_with_an_additional_meter_bills_each_segment_at_its_prices(
    group, today
):
    factories.make_tariff(group, dt.date(2025, 1, 1), water="6.00", sewage="8.00", subscription="15.00")
    factories.make_tariff(group, dt.date(2025, 3, 1), water="6.50", sewage="9.00", subscription="16.00")
    point = factories.make_point(
        factories.make_customer(), group, opening_date=dt.date(2025, 1, 31), residents=10
    )
    main = factories.make_meter(point, reading="0")
    garden = factories.make_meter(point, reading="0", role=MeterRole.ADDITIONAL)
    readings_submit_for_point(
        actor=SYSTEM,
        service_point=point,
        date=dt.date(2025, 3, 31),
        values={main.pk: "59", garden.pk: "10"},
        source=Source.READER,
    )

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    # 1 Feb–31 Mar = 59 days: February 28 days, March 31 days.
    # water 59 → 59×28/59 = 28.000 and 31.000; sewage 49 → 49×28/59 = 23.254.. and 25.745.. → 23.254 + 25.746
    # (remainders .237 vs .762: the leftover thousandth goes to March).
    assert _lines(invoice) == [
        ("water", D("28.000"), D("6.0000"), D("168.00")),
        ("sewage", D("23.254"), D("8.0000"), D("186.03")),
        ("subscription", D("1.000"), D("15.0000"), D("15.00")),
        ("water", D("31.000"), D("6.5000"), D("201.50")),
        ("sewage", D("25.746"), D("9.0000"), D("231.71")),
        ("subscription", D("1.000"), D("16.0000"), D("16.00")),
    ]
    # net 818.24; VAT 8% = 65.4592 → 65.46; gross 883.70
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        D("818.24"),
        D("65.46"),
        D("883.70"),
    )


def test_meter_replacement_adds_old_and_new_meter_consumption(tariff, today):
    point = factories.make_point(
        factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28), has_sewage=False
    )
    old = factories.make_meter(point, reading="500")
    new = meter_replace(
        actor=SYSTEM,
        old_meter=old,
        on=dt.date(2025, 3, 15),
        removal_reading=D("507"),
        new_serial_number="NEW-1",
        installation_reading=D("0"),
    )
    reading_submit(actor=SYSTEM, meter=new, value="4", date=dt.date(2025, 3, 31), source=Source.READER)

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    # (507 − 500) + (4 − 0) = 11 m³; no sewage service
    assert _lines(invoice) == [
        ("water", D("11.000"), D("6.2400"), D("68.64")),
        ("subscription", D("1.000"), D("17.2000"), D("17.20")),
    ]


def test_rollover_of_a_five_digit_meter_is_billed_across_the_register(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    meter = factories.make_meter(point, reading="99995")
    reading_submit(actor=SYSTEM, meter=meter, value="3", date=dt.date(2025, 3, 31), source=Source.READER)

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    assert invoice.lines.get(kind="water").quantity == D("8.000")  # 3 + 100000 − 99995


def test_point_without_meter_is_billed_at_a_flat_rate_by_norm(tariff, today):
    point = factories.make_point(
        factories.make_customer(),
        tariff.group,
        opening_date=dt.date(2025, 2, 28),
        residents=4,
        flat_rate_norm_m3=D("3.000"),
    )

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 4, 30))

    # 3.0 m³ × 4 residents × 2 months = 24 m³ of water and the same of sewage
    assert _lines(invoice) == [
        ("water", D("24.000"), D("6.2400"), D("149.76")),
        ("sewage", D("24.000"), D("8.8200"), D("211.68")),
        ("subscription", D("2.000"), D("17.2000"), D("34.40")),
    ]


def test_subscription_across_a_month_boundary_is_pro_rata_by_days(tariff, today):
    point = factories.make_point(
        factories.make_customer(), tariff.group, opening_date=dt.date(2025, 1, 14), has_sewage=False
    )
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="3", date=dt.date(2025, 2, 14), source=Source.PORTAL)

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 2, 14))

    # 15–31 Jan = 17/31, 1–14 Feb = 14/28 → 0.548387 + 0.5 = 1.048 months × 17.20 = 18.0256 → 18.03
    assert invoice.lines.get(kind="subscription").quantity == D("1.048")
    assert invoice.lines.get(kind="subscription").net == D("18.03")


def test_invoice_waits_for_every_meter_of_the_point(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    main = factories.make_meter(point, reading="0")
    factories.make_meter(point, reading="0", role=MeterRole.ADDITIONAL, serial="GARDEN-1")
    reading_submit(actor=SYSTEM, meter=main, value="5", date=dt.date(2025, 3, 31), source=Source.PORTAL)

    with pytest.raises(BillingError) as error:
        invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    assert error.value.code == "missing_reading"
    assert "GARDEN-1" in error.value.message
    assert Invoice.objects.count() == 0


def test_period_already_invoiced_is_not_invoiced_again(worked_example):
    invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 31))

    with pytest.raises(BillingError) as error:
        invoice_issue(actor=SYSTEM, service_point=worked_example, up_to=dt.date(2025, 3, 20))

    assert error.value.code == "already_billed"


def test_business_invoice_freezes_the_buyers_nip(tariff, today):
    customer = factories.make_customer(kind=CustomerKind.BUSINESS, name="Piekarnia Sp. z o.o.")
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2025, 2, 28), residents=10)
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="30", date=dt.date(2025, 3, 31), source=Source.READER)

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    assert invoice.buyer["nip"] == factories.VALID_NIP
    assert invoice.buyer["kind"] == "business"


def test_a_reading_that_does_not_fit_the_meter_is_reported_in_the_customers_language(tariff, today):
    from django.utils import translation

    from ebok.readings.models import Reading, Status

    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    meter = factories.make_meter(point, reading="500", serial="WM-LOW")
    # a reading stored by an import or an earlier version, lower than the opening reading
    Reading.objects.create(
        meter=meter,
        date=dt.date(2025, 3, 31),
        value=D("400"),
        source=Source.IMPORT,
        status=Status.ACCEPTED,
        created_at=dt.datetime(2025, 4, 1, tzinfo=dt.UTC),
    )

    with pytest.raises(BillingError) as error:
        invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    assert error.value.code == "invalid_consumption"
    with translation.override("pl"):
        assert "WM-LOW" in error.value.message and "niższy niż poprzedni" in error.value.message
    with translation.override("en"):
        assert "lower than the previous reading 500" in error.value.message
