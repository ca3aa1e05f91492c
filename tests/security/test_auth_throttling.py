"""Login, registration and password reset are limited per account and per IP address, each with a cool-off:
nobody, attacker or not, can lock an account for good (ASVS 5.0 V6.3.1).

The per-account counts are kept for any typed address, known or not, so the limits say nothing about which
addresses have accounts (tests/security/test_auth_enumeration.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from ebok.accounts.throttle import LIMITS
from ebok.common import clock
from tests import factories
from tests.factories import make_history

PASSWORD = "correct horse battery"
ATTACKER, VICTIM = "10.6.6.6", "192.0.2.10"
TOO_MANY = "Too many attempts."


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_in(client, username, password=PASSWORD, ip=VICTIM):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def refused(response) -> bool:
    return response.status_code == 200 and any(
        str(e).startswith(TOO_MANY) for e in response.context["form"].non_field_errors()
    )


def test_every_limit_cools_off_within_a_day():
    assert all(limit.window <= dt.timedelta(hours=24) for limit in LIMITS.values())
    assert {"login_account", "login_ip", "register_ip", "register_email", "password_reset_ip"} <= set(LIMITS)
    assert {"password_reset_account", "otp_account", "otp_ip"} <= set(LIMITS)


# --- login ----------------------------------------------------------------------------------------------


def test_an_attacker_who_locks_an_account_locks_it_only_for_the_cool_off(client, cast, today):
    for _ in range(LIMITS["login_account"].attempts):
        log_in(client, "customer_a@example.org", "guess", ip=ATTACKER)

    assert refused(log_in(client, "customer_a@example.org", ip=VICTIM))  # the account's limit holds for all
    with clock.frozen_at(clock.now() + LIMITS["login_account"].window + dt.timedelta(seconds=1)):
        response = log_in(client, "customer_a@example.org", ip=VICTIM)
    assert response["Location"] == "/panel/"


def test_an_ip_that_tried_too_many_accounts_is_stopped_without_locking_those_accounts(client, cast, today):
    # Spraying one password over many accounts from one address: 30 failures, 3 or 4 per account (below 5).
    names = [f"person{n}@example.org" for n in range(7)] + ["customer_a@example.org"]
    for n in range(LIMITS["login_ip"].attempts):
        log_in(client, names[n % len(names)], "Summer2025", ip=ATTACKER)

    assert refused(log_in(client, "customer_b@example.org", ip=ATTACKER))  # the IP is stopped
    assert log_in(client, "customer_a@example.org", ip=VICTIM)["Location"] == "/panel/"  # the account is not
    client.post("/logout/")
    with clock.frozen_at(clock.now() + LIMITS["login_ip"].window + dt.timedelta(seconds=1)):
        assert log_in(client, "customer_b@example.org", ip=ATTACKER)["Location"] == "/panel/"


# --- registration ---------------------------------------------------------------------------------------


@pytest.fixture
def household(tariff, today):
    customer = factories.make_customer(name="Celina Zając")
    make_history(customer, tariff.group, invoices=1, today=today)
    return customer


def register(client, customer, email, ip):
    return client.post(
        "/register/",
        {
            "customer_code": customer.code,
            "invoice_number": customer.invoices.first().number,
            "email": email,
            "password1": "kwitnąca jabłoń 1987",
            "password2": "kwitnąca jabłoń 1987",
        },
        REMOTE_ADDR=ip,
    )


def test_registrations_for_one_address_are_limited_whatever_the_ip(client, household, today):
    limit = LIMITS["register_email"]
    for n in range(limit.attempts):
        register(client, household, "Celina@example.org", ip=f"10.0.0.{n}")

    assert refused(register(client, household, "celina@example.org", ip=VICTIM))
    assert register(client, household, "other@example.org", ip=VICTIM)["Location"] == "/register/sent/"
    with clock.frozen_at(clock.now() + limit.window + dt.timedelta(seconds=1)):
        assert register(client, household, "celina@example.org", ip=VICTIM)["Location"] == "/register/sent/"


def test_registrations_from_one_ip_are_limited_whatever_the_address(client, household, today):
    limit = LIMITS["register_ip"]
    for n in range(limit.attempts):
        register(client, household, f"person{n}@example.org", ip=ATTACKER)

    assert refused(register(client, household, "celina@example.org", ip=ATTACKER))
    assert register(client, household, "celina@example.org", ip=VICTIM)["Location"] == "/register/sent/"


# --- password reset -------------------------------------------------------------------------------------


def reset(client, email, ip):
    return client.post("/password/reset/", {"email": email}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("email", ["customer_a@example.org", "nobody@example.org"])
def test_password_resets_for_one_address_are_limited_whatever_the_ip(client, cast, today, email):
    limit = LIMITS["password_reset_account"]
    for n in range(limit.attempts):
        assert reset(client, email, ip=f"10.0.0.{n}")["Location"] == "/password/reset/sent/"

    assert refused(reset(client, email.upper(), ip=VICTIM))
    assert reset(client, "customer_b@example.org", ip=VICTIM)["Location"] == "/password/reset/sent/"
    with clock.frozen_at(clock.now() + limit.window + dt.timedelta(seconds=1)):
        assert reset(client, email, ip=VICTIM)["Location"] == "/password/reset/sent/"


def test_password_resets_from_one_ip_are_limited_whatever_the_address(client, cast, today):
    for n in range(LIMITS["password_reset_ip"].attempts):
        reset(client, f"person{n}@example.org", ip=ATTACKER)

    assert refused(reset(client, "customer_a@example.org", ip=ATTACKER))
    assert reset(client, "customer_a@example.org", ip=VICTIM)["Location"] == "/password/reset/sent/"
