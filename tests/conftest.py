"""Shared fixtures: the utility, a tariff group, and a fixed cast of users for permission tests."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from ebok.accounts.models import CustomerAccess, Role, User
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.payments.services import payment_record
from tests import factories

TODAY = dt.date(2025, 6, 30)


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL') or 'SQLite (set DATABASE_URL=postgres://... for PostgreSQL)'}"


@pytest.fixture(autouse=True)
def _staff_force_login_gives_the_code():
    """`client.force_login(user)` of a staff member (or of a customer who turned two-step login on) logs in
    with the second factor given, as /staff/login/ does after the code: staff pages require it. Tests of the
    code itself use the real login forms, or tests.twofactor.force_login_unverified."""
    from django.test import Client

    from tests import twofactor

    def force_login(client, user, backend=None):
        twofactor.django_force_login(client, user, backend)
        if user.is_staff or user.totpdevice_set.filter(confirmed=True).exists():
            twofactor.verify_session(client, user)

    # A patch of its own, not the `monkeypatch` fixture: a test's monkeypatch.undo() must not remove it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login)
        yield


@pytest.fixture
def company(db):
    return factories.make_company()


@pytest.fixture
def group(company):
    return factories.make_tariff_group()


@pytest.fixture
def tariff(group):
    return factories.make_tariff(group)


@pytest.fixture
def today():
    """Freeze the clock at a known day so that "not in the future" and due dates are deterministic."""
    with clock.frozen_at(dt.datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=dt.UTC)):
        yield TODAY


@pytest.fixture
def cast(company):
    """The fixed cast: two customers with portal accounts, and one staff user per role."""
    customer_a = factories.make_customer(name="Anna Nowak")
    customer_b = factories.make_customer(name="Bogdan Wiśniewski")
    people = {}
    for key, customer in (("customer_a", customer_a), ("customer_b", customer_b)):
        user = User.objects.create_user(
            username=key, email=f"{key}@example.org", password="correct horse battery"
        )
        CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
        people[key] = user
    from django.contrib.auth.models import Group

    for role in Role:
        user = User.objects.create_user(username=role.value, password="correct horse battery", is_staff=True)
        user.groups.add(Group.objects.get(name=role.value))
        people[role.value] = user
    people["customer_a_record"] = customer_a
    people["customer_b_record"] = customer_b
    return people


@pytest.fixture
def home_a(cast, tariff, today):
    """Customer A: one address with a meter, two invoices (the first paid), and a payment."""
    customer = cast["customer_a_record"]
    point, meter = factories.make_history(
        customer, tariff.group, invoices=2, today=today - dt.timedelta(days=10)
    )
    first = customer.invoices.order_by("id").first()
    payment_record(
        actor=SYSTEM,
        customer=customer,
        amount=first.total_gross,
        received_on=today - dt.timedelta(days=5),
        title=f"Faktura {first.number}",
    )
    return {"customer": customer, "point": point, "meter": meter}


# In CI nothing may be skipped: EBOK_NO_SKIPS=1 turns every skip into a failure of the run.
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("EBOK_NO_SKIPS") == "1" and _skipped:
        print(f"\nEBOK_NO_SKIPS=1 but {len(_skipped)} test(s) were skipped: {_skipped[:10]}")
        session.exitstatus = 1


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
