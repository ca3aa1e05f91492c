"""Every "(choice)" of billing-rules.md is a setting of the utility; these tests flip each one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.company.models import Company
from ebok.payments.selectors import settlement_for_customer
from ebok.payments.services import payment_record
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db


def _set(**fields):
    Company.objects.filter(id=1).update(**fields)


@pytest.fixture
def two_tariffs(group):
    factories.make_tariff(group, dt.date(2025, 1, 1), water="6.00", sewage="8.00", subscription="15.00")
    factories.make_tariff(group, dt.date(2025, 3, 1), water="6.50", sewage="9.00", subscription="16.00")
    return group


def _point_with_readings(group, readings):
    point = factories.make_point(
        factories.make_customer(), group, opening_date=dt.date(2025, 1, 31), has_sewage=False, residents=10
    )
    meter = factories.make_meter(point, reading="0")
    for day, value in readings:
        reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)
    return point


def test_by_default_consumption_is_split_by_days_even_with_a_reading_at_the_change(two_tariffs, today):
    point = _point_with_readings(two_tariffs, [(dt.date(2025, 2, 28), "10"), (dt.date(2025, 3, 31), "59")])
    # the reading of 28 Feb was taken but the invoice covers 1 Feb–31 Mar: 59 m³ split 28:31 by days
    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    assert [line.quantity for line in invoice.lines.filter(kind="water")] == [D("28.000"), D("31.000")]


def test_utility_may_split_by_a_reading_taken_on_the_change_date(two_tariffs, today):
    _set(split_by_reading_on_change_date=True)
    point = _point_with_readings(two_tariffs, [(dt.date(2025, 2, 28), "10"), (dt.date(2025, 3, 31), "59")])

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    # what the meter measured: 10 m³ until the change, 49 m³ after it
    assert [(line.quantity, line.unit_net_price) for line in invoice.lines.filter(kind="water")] == [
        (D("10.000"), D("6.0000")),
        (D("49.000"), D("6.5000")),
    ]


def test_subscription_months_rounding_is_a_setting(tariff, today):
    _set(subscription_months_places=2)
    point = factories.make_point(
        factories.make_customer(), tariff.group, opening_date=dt.date(2025, 1, 14), has_sewage=False
    )
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="3", date=dt.date(2025, 2, 14), source=Source.PORTAL)

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 2, 14))

    assert invoice.lines.get(kind="subscription").quantity == D("1.05")  # 1.048387… to 2 places


def test_utility_may_allocate_payments_oldest_first_even_when_an_invoice_is_named(tariff, today):
    _set(allocate_to_named_invoice_first=False)
    point = _point_with_readings(tariff.group, [(dt.date(2025, 2, 28), "5"), (dt.date(2025, 3, 31), "10")])
    first = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 2, 28))
    second = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    payment_record(
        actor=SYSTEM,
        customer=point.customer,
        amount=second.total_gross,
        received_on=dt.date(2025, 4, 5),
        title=second.number,
    )

    open_by_number = {i.number: i.open for i in settlement_for_customer(point.customer).items}
    assert open_by_number[first.number] == D("0.00")
    assert open_by_number[second.number] == second.total_gross  # the named invoice stays open


@pytest.mark.parametrize(("high", "low", "refused"), [("0.900", "0.100", False), ("0.999", "0.100", True)])
def test_rollover_thresholds_are_settings(tariff, today, high, low, refused):
    _set(rollover_high=D(high), rollover_low=D(low))
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    meter = factories.make_meter(point, reading="99500")

    reading = reading_submit(
        actor=SYSTEM, meter=meter, value="3", date=dt.date(2025, 3, 31), source=Source.READER
    )

    assert (reading.status == "refused") is refused


def test_plausibility_threshold_is_a_setting(tariff, today):
    _set(plausibility_factor=D("20"), plausibility_min_excess_m3=D("500"))
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    meter = factories.make_meter(point, reading="0")

    reading = reading_submit(
        actor=SYSTEM, meter=meter, value="100", date=dt.date(2025, 3, 31), source=Source.READER
    )

    assert reading.status == "accepted"


def test_due_days_and_number_pattern_are_settings(tariff, today):
    _set(due_days=30, invoice_series_pattern="F/{number}/{year}")
    point = _point_with_readings(tariff.group, [(dt.date(2025, 2, 28), "5")])

    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 2, 28))

    assert invoice.number == "F/1/2025"
    assert invoice.due_date == invoice.issue_date + dt.timedelta(days=30)
