"""The dashboard's addresses and last readings (point_summaries) say what points_for_customer says, in two
queries, on SQLite and on PostgreSQL alike (its SQL is compiled once per process and reused)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ebok.common.actor import SYSTEM
from ebok.metering.models import MeterRole
from ebok.metering.services import meter_replace
from ebok.readings.models import Source
from ebok.readings.selectors import point_summaries, points_for_customer
from ebok.readings.services import previous_from_last, previous_reading, reading_submit
from tests import factories

pytestmark = pytest.mark.django_db


def as_seen_by_the_ORM(customer):
    return [
        (
            point.pk,
            point.address,
            [(m.pk, m.serial_number, m.role, m.last_date, m.last_value) for m in point.active_meters],
        )
        for point in points_for_customer(customer)
    ]


def as_summarised(customer):
    return [
        (
            point.pk,
            point.address,
            [(m.pk, m.serial_number, m.role, m.last_date, m.last_value) for m in point.active_meters],
        )
        for point in point_summaries(customer)
    ]


@pytest.fixture
def customer_with_points(tariff, today):
    """Three addresses: main + garden meter with readings (one held for review, one refused), a replaced
    meter, and one with no meter at all; and another customer whose data must not leak in."""
    customer = factories.make_customer(name="Zofia Kamińska")
    home = factories.make_point(
        customer, tariff.group, opening_date=dt.date(2024, 12, 31), street="ul. Długa 1"
    )
    main = factories.make_meter(home, reading="100")
    garden = factories.make_meter(home, reading="5", role=MeterRole.ADDITIONAL)
    for day, value in ((dt.date(2025, 2, 28), "110.5"), (dt.date(2025, 4, 30), "121.25")):
        reading_submit(actor=SYSTEM, meter=main, value=value, date=day, source=Source.READER)
    reading_submit(actor=SYSTEM, meter=garden, value="6", date=dt.date(2025, 4, 30), source=Source.READER)
    held = reading_submit(
        actor=SYSTEM, meter=main, value="900", date=dt.date(2025, 6, 1), source=Source.PORTAL
    )
    assert held.status == "held"
    refused = reading_submit(
        actor=SYSTEM, meter=garden, value="1", date=dt.date(2025, 6, 1), source=Source.PORTAL
    )
    assert refused.status == "refused"

    shed = factories.make_point(
        customer, tariff.group, opening_date=dt.date(2024, 12, 31), street="ul. Boczna 2"
    )
    old = factories.make_meter(shed, reading="10")
    meter_replace(
        actor=SYSTEM,
        old_meter=old,
        on=dt.date(2025, 3, 31),
        removal_reading=D("20"),
        new_serial_number="WM-NEW",
        installation_reading=D("0"),
    )
    factories.make_point(customer, tariff.group, opening_date=dt.date(2024, 12, 31), street="ul. Pusta 3")

    other = factories.make_customer(name="Ktoś Inny")
    factories.make_meter(factories.make_point(other, tariff.group, opening_date=dt.date(2024, 12, 31)))
    return customer, other


def test_point_summaries_show_what_points_for_customer_shows(customer_with_points):
    customer, other = customer_with_points

    summarised = as_summarised(customer)

    assert summarised == as_seen_by_the_ORM(customer)
    home, shed, empty = summarised
    assert [(m[1].startswith("WM-"), m[2], m[3], m[4]) for m in home[2]] == [
        (True, "main", dt.date(2025, 4, 30), D("121.250")),  # not the held 900: only accepted readings count
        (True, "additional", dt.date(2025, 4, 30), D("6.000")),
    ]
    assert [(m[1], m[3], m[4]) for m in shed[2]] == [("WM-NEW", None, None)]  # the removed meter is gone
    assert empty[2] == []
    assert as_summarised(other) == as_seen_by_the_ORM(other)  # the same compiled SQL, another customer


def test_point_summaries_take_two_queries(customer_with_points):
    customer, _other = customer_with_points
    point_summaries(customer)  # compiled on the first call

    with CaptureQueriesContext(connection) as captured:
        point_summaries(customer)

    assert len(captured) == 2


def test_previous_from_the_annotation_is_previous_reading(customer_with_points):
    customer, _other = customer_with_points
    for point in points_for_customer(customer):
        for meter in point.active_meters:
            assert previous_from_last(meter) == previous_reading(meter)
