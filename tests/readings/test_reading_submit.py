"""Reading validation: refused / held for review / accepted, with clear reasons (billing-rules §3, §9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from ebok.audit.models import AuditEntry
from ebok.common.actor import SYSTEM
from ebok.metering.models import MeterRole
from ebok.metering.services import meter_replace
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import (
    IdempotencyConflict,
    ReadingInputError,
    reading_submit,
    readings_submit_for_point,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def meter(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 1, 31))
    return factories.make_meter(point, reading="1200", serial="WM-42")


def submit(meter, value, day=dt.date(2025, 3, 31), **kwargs):
    return reading_submit(
        actor=SYSTEM, meter=meter, value=value, date=day, source=kwargs.pop("source", Source.PORTAL), **kwargs
    )


def test_plausible_reading_is_accepted_and_audited(meter):
    reading = submit(meter, "1215")

    assert reading.status == Status.ACCEPTED
    assert reading.value == D("1215.000")
    entry = AuditEntry.objects.get(action="reading.accepted")
    assert entry.object_id == str(reading.pk)
    assert entry.customer_id == meter.service_point.customer_id


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1 215", D("1215")), ("1215,5", D("1215.5")), ("  1215.125 ", D("1215.125")), (D("1216"), D("1216"))],
)
def test_reading_accepts_the_ways_people_type_numbers(meter, typed, expected):
    assert submit(meter, typed).value == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc", "not_a_number"),
        ("", "not_a_number"),
        ("NaN", "not_a_number"),
        ("-5", "negative"),
        ("1215.1234", "too_many_decimals"),
        ("100000", "out_of_range"),
    ],
)
def test_input_that_is_not_a_reading_is_refused_and_nothing_is_stored(meter, typed, code):
    with pytest.raises(ReadingInputError) as error:
        submit(meter, typed)

    assert error.value.code == code
    assert Reading.objects.count() == 0


def test_lower_reading_is_refused_with_the_previous_value_in_the_message(meter):
    reading = submit(meter, "1190")

    assert reading.status == Status.REFUSED
    assert reading.reason_code == "lower_than_previous"
    with translation.override("en"):
        assert "1190.000" in reading.reason_text and "1200" in reading.reason_text
    with translation.override("pl"):
        assert "1190.000" in reading.reason_text and "niższy niż poprzedni" in reading.reason_text


def test_rollover_reading_is_accepted(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 1, 31))
    meter = factories.make_meter(point, reading="99990")

    assert submit(meter, "5").status == Status.ACCEPTED


def test_lower_reading_that_is_not_a_rollover_is_refused(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 1, 31))
    meter = factories.make_meter(point, reading="85000")  # below 90% of the register: not a rollover

    assert submit(meter, "5").reason_code == "lower_than_previous"


def test_reading_in_the_future_is_refused(meter, today):
    assert submit(meter, "1210", today + dt.timedelta(days=1)).reason_code == "future_date"


def test_reading_dated_before_the_previous_reading_is_refused(meter):
    submit(meter, "1210", dt.date(2025, 3, 31))

    reading = submit(meter, "1205", dt.date(2025, 3, 15))

    assert (reading.status, reading.reason_code) == (Status.REFUSED, "before_previous")


def test_second_different_reading_on_the_same_day_is_refused(meter):
    submit(meter, "1210")

    assert submit(meter, "1211").reason_code == "date_already_read"


def test_reading_on_a_removed_meter_is_refused(meter):
    meter_replace(
        actor=SYSTEM,
        old_meter=meter,
        on=dt.date(2025, 3, 1),
        removal_reading=D("1205"),
        new_serial_number="WM-43",
        installation_reading=D("0"),
    )
    meter.refresh_from_db()

    reading = submit(meter, "1210", dt.date(2025, 3, 31))

    assert (reading.status, reading.reason_code) == (Status.REFUSED, "meter_removed")


def test_implausibly_high_reading_is_held_for_review_with_the_reason(meter):
    # 3 residents × 3 m³ per month is about 17.7 m³ over 59 days; 100 m³ is far above 3× that.
    reading = submit(meter, "1300")

    assert reading.status == Status.HELD
    assert reading.reason_code == "implausible"
    assert reading.reason_params["consumption"] == "100.000"


def test_garden_meter_showing_more_than_the_main_meter_holds_the_readings(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    main = factories.make_meter(point, reading="100")
    garden = factories.make_meter(point, reading="10", role=MeterRole.ADDITIONAL)

    readings = readings_submit_for_point(
        actor=SYSTEM,
        service_point=point,
        date=dt.date(2025, 3, 31),
        values={main.pk: "105", garden.pk: "17"},
        source=Source.PORTAL,
    )

    assert {r.status for r in readings} == {Status.HELD}
    assert {r.reason_code for r in readings} == {"additional_exceeds_main"}


def test_one_bad_value_in_a_point_form_stores_none_of_its_readings(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    main = factories.make_meter(point, reading="100")
    garden = factories.make_meter(point, reading="10", role=MeterRole.ADDITIONAL)

    with pytest.raises(ReadingInputError):
        readings_submit_for_point(
            actor=SYSTEM,
            service_point=point,
            date=dt.date(2025, 3, 31),
            values={main.pk: "105", garden.pk: "x"},
            source=Source.PORTAL,
        )

    assert Reading.objects.count() == 0


def test_zero_consumption_in_two_consecutive_periods_is_flagged(meter):
    submit(meter, "1200", dt.date(2025, 3, 31))

    reading = submit(meter, "1200", dt.date(2025, 4, 30))

    assert (reading.status, reading.reason_code) == (Status.ACCEPTED, "zero_repeated")


def test_same_reading_submitted_twice_is_stored_once(meter):
    first = submit(meter, "1210")
    second = submit(meter, "1210.000")

    assert first.pk == second.pk
    assert Reading.objects.count() == 1


def test_same_idempotency_key_returns_the_first_reading_and_a_different_body_conflicts(meter):
    first = submit(meter, "1210", idempotency_key="k-1")

    assert submit(meter, "1210", idempotency_key="k-1").pk == first.pk
    with pytest.raises(IdempotencyConflict):
        submit(meter, "1211", idempotency_key="k-1")
    assert Reading.objects.count() == 1
