"""Reads of service points and meters for staff: finding an address, and meters whose verification expires."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from ebok.metering.models import Meter, MeterRole, ServicePoint


def main_first(prefix: str = "") -> Case:
    """An ordering that puts main meters before additional (garden) ones (`prefix`: e.g. "meter__")."""
    return Case(
        When(**{f"{prefix}role": MeterRole.MAIN}, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def points_by_code_or_serial(term: str) -> QuerySet[ServicePoint]:
    """Service points of the customer with this code, or with a meter of this serial number (exact,
    ignoring case and spaces at the ends); with the customer and the meters in use in `active_meters`."""
    term = term.strip()
    if not term:
        return ServicePoint.objects.none()
    matching = Q(customer__code=term) | Q(
        pk__in=Meter.objects.filter(serial_number__iexact=term).values("service_point")
    )
    return (
        ServicePoint.objects.filter(matching)
        .select_related("customer")
        .prefetch_related(Prefetch("meters", queryset=_active_meters(), to_attr="active_meters"))
        .order_by("customer__code", "id")
    )


def point_with_active_meters(point_id: int) -> ServicePoint:
    """One service point with its customer and its meters in use (main first) in `active_meters`."""
    return (
        ServicePoint.objects.select_related("customer")
        .prefetch_related(Prefetch("meters", queryset=_active_meters(), to_attr="active_meters"))
        .get(pk=point_id)
    )


def _active_meters() -> QuerySet[Meter]:
    return Meter.objects.filter(removed_on__isnull=True).order_by(main_first(), "id")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def meters_verification_due(*, today: dt.date, months: int) -> QuerySet[Meter]:
    """Meters in use whose legal verification has expired or expires within `months` months of `today`,
    soonest first, with their service point and customer."""
    return (
        Meter.objects.filter(
            removed_on__isnull=True,
            verification_expires_on__isnull=False,
            verification_expires_on__lte=add_months(today, months),
        )
        .select_related("service_point__customer")
        .order_by("verification_expires_on", "serial_number")
    )
