"""Meter readers' rounds: the reading window a day falls in, routes assigned to readers per window, the
route sheet a reader takes out (only what reading the meters needs), and the progress staff watch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from ebok.accounts.models import User
from ebok.audit.services import audit_log
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.company.models import Company, ReadingWindow
from ebok.metering.models import Meter, Route, RouteAssignment, ServicePoint
from ebok.readings.models import NoAccess, Reading, Source, Status


@dataclass(frozen=True, slots=True)
class Window:
    year: int
    ordinal: int
    start: dt.date
    end: dt.date


def _day(year: int, month: int, day: int) -> dt.date:
    while True:  # 31 June → 30 June
        try:
            return dt.date(year, month, day)
        except ValueError:
            day -= 1


def window_of(day: dt.date, company: Company) -> Window | None:
    """The reading window that contains `day` (windows don't span the new year)."""
    for w in ReadingWindow.objects.filter(company=company).order_by("ordinal"):
        start = _day(day.year, w.start_month, w.start_day)
        end = _day(day.year, w.end_month, w.end_day)
        if start <= day <= end:
            return Window(day.year, w.ordinal, start, end)
    return None


@transaction.atomic
def route_assign(*, actor: Actor, route: Route, reader: User, year: int, window: int) -> RouteAssignment:
    """Give a route to a reader for one window (replacing whoever had it)."""
    assignment, _created = RouteAssignment.objects.update_or_create(
        route=route,
        year=year,
        window=window,
        defaults={"reader": reader, "assigned_at": clock.now(), "assigned_by": actor.user},
    )
    audit_log(
        actor=actor,
        action="route.assigned",
        obj=assignment,
        data={"route": route.code, "reader": reader.get_username(), "year": year, "window": window},
    )
    return assignment


def routes_for_reader(reader: User, window: Window | None) -> QuerySet[Route]:
    """The routes a reader walks in the window: the ownership check of the reader's app."""
    if window is None:
        return Route.objects.none()
    assigned = RouteAssignment.objects.filter(reader=reader, year=window.year, window=window.ordinal)
    return Route.objects.filter(assignments__in=assigned).order_by("code")


def points_for_reader(reader: User, window: Window | None) -> QuerySet[ServicePoint]:
    return ServicePoint.objects.filter(route__in=routes_for_reader(reader, window))


@dataclass(slots=True)
class SheetMeter:
    id: int
    serial: str
    role: str
    digits: int
    previous_date: dt.date
    previous_value: Decimal
    expected_low: Decimal
    expected_high: Decimal


@dataclass(slots=True)
class SheetPoint:
    id: int
    order: int
    address: str
    name: str  # to greet the customer at the door; nothing else of the customer's data is on the sheet
    notes: str
    meters: list[SheetMeter]
    status: str  # not_read / read / self_reported / no_access


def route_sheet(route: Route, window: Window, *, company: Company, today: dt.date) -> list[SheetPoint]:
    """The points of a route in walking order with what the reader needs at each door."""
    from ebok.readings.services import expected_daily_use, previous_reading

    points = list(
        ServicePoint.objects.filter(route=route).select_related("customer").order_by("route_order", "id")
    )
    meters: dict[int, list[Meter]] = {}
    for meter in Meter.objects.filter(service_point__in=points, removed_on__isnull=True).order_by(
        "role", "id"
    ):
        meters.setdefault(meter.service_point_id, []).append(meter)
    status = route_progress(points, window)
    sheet = []
    for point in points:
        rows = []
        for meter in meters.get(point.pk, []):
            previous = previous_reading(meter)
            days = max((today - previous.date).days, 1)
            expected = expected_daily_use(meter, until=previous.date, company=company) * days
            high = previous.value + max(
                expected * company.plausibility_factor, expected + company.plausibility_min_excess_m3
            )
            rows.append(
                SheetMeter(
                    id=meter.pk,
                    serial=meter.serial_number,
                    role=meter.role,
                    digits=meter.digits,
                    previous_date=previous.date,
                    previous_value=previous.value,
                    expected_low=previous.value,
                    expected_high=high.quantize(Decimal("1")),
                )
            )
        sheet.append(
            SheetPoint(
                id=point.pk,
                order=point.route_order,
                address=point.address,
                name=point.customer.name,
                notes=point.reader_notes,
                meters=rows,
                status=status.get(point.pk, "not_read"),
            )
        )
    return sheet


def route_progress(points: list[ServicePoint] | QuerySet[ServicePoint], window: Window) -> dict[int, str]:
    """Per point id: "read" (by a reader in the window), "self_reported" (any other source), "no_access"."""
    ids = [p.pk for p in points]
    status: dict[int, str] = {}
    for point_id in NoAccess.objects.filter(
        service_point__in=ids, date__range=(window.start, window.end)
    ).values_list("service_point_id", flat=True):
        status[point_id] = "no_access"
    readings = Reading.objects.filter(
        meter__service_point__in=ids,
        date__range=(window.start, window.end),
        status__in=[Status.ACCEPTED, Status.HELD],
    ).values_list("meter__service_point_id", "source")
    for point_id, source in readings:
        if source == Source.READER:
            status[point_id] = "read"
        elif status.get(point_id) != "read":
            status[point_id] = "self_reported"
    return status
