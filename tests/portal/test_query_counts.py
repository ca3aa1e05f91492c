"""A page costs the same number of database queries whatever the length of the customer's history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ebok.accounts.models import CustomerAccess, User
from ebok.billing.services import invoice_correct, invoice_issue
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.metering.models import MeterRole
from ebok.payments.services import payment_record
from ebok.readings.models import Source
from ebok.readings.services import readings_submit_for_point
from tests import factories
from tests.factories import make_history

PAGES = [
    "dashboard",
    "invoices",
    "payments",
    "consents",
    "point",
    "submit_reading",
    "invoice",
    "change_request",
]


def customer_with_history(group, today, invoices: int):
    customer = factories.make_customer(name=f"Klient {invoices}")
    point, _meter = make_history(customer, group, invoices=invoices, step_days=3, today=today)
    for invoice in customer.invoices.order_by("id")[: invoices // 2]:
        payment_record(
            actor=SYSTEM,
            customer=customer,
            amount=invoice.total_gross,
            received_on=invoice.issue_date,
            title=invoice.number,
        )
    user = User.objects.create_user(
        username=f"u{invoices}", email=f"u{invoices}@example.org", password="x" * 12
    )
    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
    return user, point, customer.invoices.order_by("-id").first()


def queries(client, user, point, invoice) -> dict[str, int]:
    client.force_login(user)
    counts = {}
    for name in PAGES:
        args = {"point": [point.pk], "submit_reading": [point.pk], "invoice": [invoice.pk]}.get(name, [])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(f"portal:{name}", args=args)).status_code == 200
        counts[name] = len(captured)
    return counts


@pytest.mark.slow
def test_page_query_counts_do_not_grow_with_history(client, tariff, today):
    short = queries(client, *customer_with_history(tariff.group, today, 5))
    long = queries(client, *customer_with_history(tariff.group, today - dt.timedelta(days=1), 500))

    assert long == short
    assert max(short.values()) <= 25, short


ROUNDS = ((4, 30), (8, 31), (12, 31))  # the reading rounds of tests/factories.make_company: three a year


def customer_read_for(group, years: int, *, last: dt.date = dt.date(2025, 4, 30)):
    """A customer as the portal's typical one: two addresses (one with a garden meter), read three times a
    year for `years` years, each reading invoiced and paid, one invoice corrected, the last one still open."""
    days, (year, index) = [], (last.year, ROUNDS.index((last.month, last.day)))
    for _ in range(3 * years):
        days.insert(0, dt.date(year, *ROUNDS[index]))
        index, year = (index - 1, year) if index else (len(ROUNDS) - 1, year - 1)
    opening = days[0] - dt.timedelta(days=120)
    customer = factories.make_customer(name=f"Klient {years} lat")
    home = factories.make_point(customer, group, opening_date=opening, street="ul. Kielecka 12")
    cottage = factories.make_point(customer, group, opening_date=opening, street="ul. Leśna 4")
    meters = [
        (home, factories.make_meter(home, reading="100"), Decimal("0.3")),
        (home, factories.make_meter(home, reading="10", role=MeterRole.ADDITIONAL), Decimal("0.05")),
        (cottage, factories.make_meter(cottage, reading="50"), Decimal("0.1")),
    ]
    for n, day in enumerate(days):
        for point in (home, cottage):
            values = {
                meter.pk: meter.installation_reading + daily * (day - opening).days
                for p, meter, daily in meters
                if p == point
            }
            readings_submit_for_point(
                actor=SYSTEM, service_point=point, date=day, values=values, source=Source.READER
            )
            invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=day, issue_date=day)
            if n == 1 and point == home:
                main = meters[0][1]
                invoice_correct(
                    actor=SYSTEM,
                    invoice=invoice,
                    reason="Błędny odczyt",
                    readings={main.pk: values[main.pk] - 1},
                )
            if day != days[-1]:
                payment_record(
                    actor=SYSTEM,
                    customer=customer,
                    amount=invoice.total_gross,
                    received_on=day + dt.timedelta(days=14),
                    title=invoice.number,
                )
    user = User.objects.create_user(
        username=f"lat{years}", email=f"lat{years}@example.org", password="x" * 12
    )
    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
    return user, customer


def dashboard_queries(client, user) -> int:
    client.force_login(user)
    client.get(reverse("portal:dashboard"))  # compiled queries and templates are ready after the first
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return len(captured)


def test_dashboard_costs_the_same_queries_after_one_year_and_after_five(client, tariff, today):
    one_year, _ = customer_read_for(tariff.group, 1)
    five_years, customer = customer_read_for(tariff.group, 5)
    assert customer.invoices.count() == 2 * 15 + 1  # two addresses read 15 times, one correction

    assert dashboard_queries(client, five_years) == dashboard_queries(client, one_year)


def test_the_utilitys_data_is_read_once_per_page(client_a, home_a):
    """The point page needs the utility's settings and the header and footer need its address: one query."""
    with CaptureQueriesContext(connection) as captured:
        response = client_a.get(reverse("portal:point", args=[home_a["point"].pk]))

    assert response.status_code == 200
    assert sum(' FROM "company_company"' in query["sql"] for query in captured) == 1
