"""Meter reader fixtures: a route of three metered points assigned to the reader of the cast this round."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ebok.common.actor import SYSTEM
from ebok.metering.models import Route
from ebok.metering.routes import route_assign
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories


def make_route(group, reader, *, day: dt.date, points: int = 3, code: str = "R1"):
    """A route with `points` points (one meter each, read 100 m³ 120 days before `day`) given to `reader`."""
    route = Route.objects.create(code=code, name=f"Trasa {code}")
    made = []
    for order in range(1, points + 1):
        customer = factories.make_customer(
            name=f"Odbiorca {code}-{order}", email=f"{code}{order}@example.org"
        )
        point = factories.make_point(
            customer,
            group,
            street=f"ul. Leśna {order}",
            opening_date=day - dt.timedelta(days=300),
            route=route,
            route_order=order,
            reader_notes="Pies w ogrodzie" if order == 2 else "",
        )
        meter = factories.make_meter(point, reading="0")
        reading_submit(
            actor=SYSTEM,
            meter=meter,
            value=Decimal(100),
            date=day - dt.timedelta(days=120),
            source=Source.READER,
        )
        made.append((point, meter))
    from ebok.company.models import Company
    from ebok.metering.routes import window_of

    window = window_of(day, Company.objects.get())
    route_assign(actor=SYSTEM, route=route, reader=reader, year=window.year, window=window.ordinal)
    return route, made
