"""Staff assign routes to meter readers per reading window and see how far each route got."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ebok.audit.models import AuditEntry
from ebok.common.actor import SYSTEM
from ebok.metering.models import RouteAssignment
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests.collector.conftest import make_route


@pytest.fixture
def route(cast, tariff, today):
    return make_route(tariff.group, cast["meter_reader"], day=today)


def test_the_routes_page_shows_coverage_per_route_and_readings_by_source(staff, route, today):
    (p1, m1), (p2, m2), (p3, _m3) = route[1]
    reading_submit(actor=SYSTEM, meter=m1, value="130", date=today, source=Source.READER)
    reading_submit(actor=SYSTEM, meter=m2, value="130", date=today, source=Source.PORTAL)

    page = staff("office_clerk").get(reverse("backoffice:routes")).content.decode()

    assert "Trasa R1" in page and "meter_reader" in page
    assert "67%" in page  # two of three points read (one by the reader, one by the customer)


def test_the_route_page_lists_points_never_read_in_the_round(staff, route, today):
    (p1, m1), (p2, _m2), (p3, _m3) = route[1]
    reading_submit(actor=SYSTEM, meter=m1, value="130", date=today, source=Source.READER)

    page = staff("office_clerk").get(reverse("backoffice:route", args=["R1"])).content.decode()

    never = page.split("never read")[-1] if "never read" in page else page.split("nigdy")[-1]
    assert "ul. Leśna 2" in never and "ul. Leśna 3" in never and "ul. Leśna 1" not in never


def test_the_clerk_assigns_a_route_to_a_reader_for_the_round(staff, cast, route, today):
    assignment = RouteAssignment.objects.get()
    assignment.delete()

    response = staff("office_clerk").post(
        reverse("backoffice:route_assign", args=["R1"]), {"reader": cast["meter_reader"].pk}
    )

    assert response.status_code == 302
    assert RouteAssignment.objects.get().reader == cast["meter_reader"]
    assert AuditEntry.objects.filter(action="route.assigned").exists()


@pytest.mark.parametrize(
    ("role", "see", "assign"),
    [
        ("office_clerk", 200, True),
        ("administrator", 200, True),
        ("auditor", 200, False),
        ("meter_reader", 403, False),
    ],
)
def test_who_may_see_the_routes_and_assign_them(staff, cast, route, role, see, assign):
    client = staff(role)

    assert client.get(reverse("backoffice:routes")).status_code == see
    response = client.post(
        reverse("backoffice:route_assign", args=["R1"]), {"reader": cast["meter_reader"].pk}
    )
    assert (response.status_code != 403) == assign
