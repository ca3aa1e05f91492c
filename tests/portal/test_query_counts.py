"""A page costs the same number of database queries whatever the length of the customer's history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ebok.accounts.models import CustomerAccess, User
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.payments.services import payment_record
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
