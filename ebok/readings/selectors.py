"""Reads of meters and readings for the customer's pages: last readings, history and consumption."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from ebok.billing.calc import ReadingError, meter_consumption
from ebok.billing.models import Invoice, InvoiceKind
from ebok.common import clock
from ebok.company.models import Company
from ebok.customers.models import Customer
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.metering.selectors import main_first
from ebok.readings.models import Reading, Status


def meters_with_last_reading(meters: QuerySet[Meter]) -> QuerySet[Meter]:
    """Meters annotated with `last_date` and `last_value`: the latest accepted reading (None if none yet)."""
    latest = Reading.objects.filter(meter=OuterRef("pk"), status=Status.ACCEPTED).order_by("-date", "-id")
    return meters.annotate(
        last_date=Subquery(latest.values("date")[:1]), last_value=Subquery(latest.values("value")[:1])
    )


def points_for_customer(customer: Customer | int) -> QuerySet[ServicePoint]:
    """The customer's service points with their meters in use (each with its last reading) in `active_meters`."""
    active = meters_with_last_reading(Meter.objects.filter(removed_on__isnull=True)).order_by(
        "-role",
        "id",  # "main" sorts after "additional": descending puts the main meter first
    )
    return (
        ServicePoint.objects.filter(customer=customer)
        .prefetch_related(Prefetch("meters", queryset=active, to_attr="active_meters"))
        .order_by("id")
    )


@dataclass(frozen=True, slots=True)
class MeterSummary:
    pk: int
    serial_number: str
    role: str
    last_date: dt.date | None  # the latest accepted reading (None: none yet)
    last_value: Decimal | None


@dataclass(frozen=True, slots=True)
class PointSummary:
    pk: int
    street: str
    postal_code: str
    city: str
    active_meters: list[MeterSummary] = field(default_factory=list)

    address = ServicePoint.address


def point_summaries(customer: Customer) -> list[PointSummary]:
    """What the dashboard shows of `points_for_customer`: each address with its meters in use and their last
    readings, in the same order. Two queries, whatever the number of addresses, meters and readings."""
    rows = ServicePoint.objects.filter(customer=customer).order_by("id")
    points = {
        pk: PointSummary(pk, *fields)
        for pk, *fields in rows.values_list("id", "street", "postal_code", "city")
    }
    meters = (
        meters_with_last_reading(
            Meter.objects.filter(service_point__customer=customer, removed_on__isnull=True)
        )
        .order_by("service_point_id", "-role", "id")  # the main meter first (see points_for_customer)
        .values_list("id", "service_point_id", "serial_number", "role", "last_date", "last_value")
    )
    for pk, point_id, *fields in meters:
        points[point_id].active_meters.append(MeterSummary(pk, *fields))
    return list(points.values())


def readings_for_point(point: ServicePoint) -> QuerySet[Reading]:
    return Reading.objects.filter(meter__service_point=point).select_related("meter").order_by("-date", "-id")


@dataclass(frozen=True, slots=True)
class ConsumptionPeriod:
    meter: str
    start: dt.date
    end: dt.date
    m3: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def per_day(self) -> Decimal:
        return (self.m3 / self.days).quantize(Decimal("0.001")) if self.days else Decimal(0)


def consumption_history(point: ServicePoint, *, company: Company, years: int = 5) -> list[ConsumptionPeriod]:
    """Water used between consecutive accepted readings of the point's main meters, oldest first."""
    since = clock.today() - dt.timedelta(days=365 * years)
    meters = {m.pk: m for m in Meter.objects.filter(service_point=point, role=MeterRole.MAIN)}
    previous: dict[int, tuple[dt.date, Decimal]] = {
        pk: (m.installed_on, m.installation_reading) for pk, m in meters.items()
    }
    periods = []
    readings = (
        Reading.objects.filter(meter__in=list(meters), status=Status.ACCEPTED)
        .order_by("date", "id")
        .values_list("meter_id", "date", "value")
    )
    for meter_id, date, value in readings:
        start, start_value = previous[meter_id]
        previous[meter_id] = (date, value)
        if date <= start or date < since:
            continue
        meter = meters[meter_id]
        try:
            m3 = meter_consumption(
                start_value,
                value,
                digits=meter.digits,
                rollover_high=company.rollover_high,
                rollover_low=company.rollover_low,
            )
        except ReadingError:
            continue
        periods.append(ConsumptionPeriod(meter.serial_number, start, date, m3))
    return sorted(periods, key=lambda p: (p.end, p.meter))


# --- staff: the review queue and recorded readings ------------------------------------------------------------


def review_queue() -> QuerySet[Reading]:
    """Readings held for review, longest waiting first, each annotated with the meter's previous accepted
    reading before it (`previous_date`, `previous_value`; None: the meter's installation reading is the
    previous one)."""
    previous = Reading.objects.filter(
        meter=OuterRef("meter"), status=Status.ACCEPTED, date__lt=OuterRef("date")
    ).order_by("-date", "-id")
    return (
        Reading.objects.filter(status=Status.HELD)
        .select_related("meter__service_point__customer", "entered_by")
        .annotate(
            previous_date=Subquery(previous.values("date")[:1]),
            previous_value=Subquery(previous.values("value")[:1]),
        )
        .order_by("created_at", "id")
    )


def held_together(readings: list[Reading]) -> dict[tuple[int, dt.date], list[Reading]]:
    """The held readings of the same address and day as each of `readings` (one query), by (point id, date):
    accepting one of them accepts them all."""
    points = {r.meter.service_point_id for r in readings}
    dates = {r.date for r in readings}
    groups: dict[tuple[int, dt.date], list[Reading]] = {}
    if not readings:
        return groups
    for held in (
        Reading.objects.filter(status=Status.HELD, meter__service_point__in=points, date__in=dates)
        .select_related("meter")
        .order_by(main_first("meter__"), "meter_id")
    ):
        groups.setdefault((held.meter.service_point_id, held.date), []).append(held)
    return groups


def readings_recorded_with_key(key: str) -> QuerySet[Reading]:
    """The readings stored by one submission of a form for an address (idempotency keys "<key>:<meter id>")."""
    return (
        Reading.objects.filter(idempotency_key__startswith=f"{key}:")
        .select_related("meter__service_point__customer", "entered_by")
        .order_by(main_first("meter__"), "meter_id")
    )


def invoice_closing(point: ServicePoint, date: dt.date) -> Invoice | None:
    """The regular invoice of the address that ends on `date` (the one issued from that day's readings)."""
    return Invoice.objects.filter(service_point=point, kind=InvoiceKind.INVOICE, period_end=date).first()
