"""Portal fixtures: a customer's history (readings, invoices, a payment) and logged-in clients of the cast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.payments.services import payment_record
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories


def make_history(customer, group, *, invoices: int, step_days: int = 30, today: dt.date):
    """A point with one meter read every `step_days` days up to `today` and an invoice after each reading."""
    opening = today - dt.timedelta(days=step_days * invoices)
    point = factories.make_point(customer, group, opening_date=opening)
    meter = factories.make_meter(point, reading="100")
    value = Decimal(100)
    for i in range(1, invoices + 1):
        day = opening + dt.timedelta(days=step_days * i)
        value += Decimal(step_days) * Decimal("0.3")
        reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)
        invoice_issue(actor=SYSTEM, service_point=point, up_to=day, issue_date=day)
    return point, meter


@pytest.fixture
def home_a(cast, tariff, today):
    """Customer A: one address with a meter, two invoices (the first paid), and a payment."""
    customer = cast["customer_a_record"]
    point, meter = make_history(customer, tariff.group, invoices=2, today=today - dt.timedelta(days=10))
    first = customer.invoices.order_by("id").first()
    payment_record(
        actor=SYSTEM,
        customer=customer,
        amount=first.total_gross,
        received_on=today - dt.timedelta(days=5),
        title=f"Faktura {first.number}",
    )
    return {"customer": customer, "point": point, "meter": meter}


@pytest.fixture
def client_a(client, cast):
    client.force_login(cast["customer_a"])
    return client
