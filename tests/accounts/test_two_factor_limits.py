"""Guessing the 6-digit code is hopeless: wrong codes are limited per account (a quarter-hour and a day) and per
IP, each with a cool-off, never a permanent lock."""

from __future__ import annotations

import datetime as dt

import pytest

from ebok.accounts.throttle import LIMITS
from ebok.audit.models import AuditEntry
from ebok.common import clock
from tests.accounts.conftest import form_errors, log_in, logged_in
from tests.twofactor import give_device, totp_code, wrong_code

TOO_MANY = "Too many attempts."


@pytest.fixture
def device(cast):
    return give_device(cast["office_clerk"])


def guess(client, device, code=None, ip="10.0.0.1"):
    return client.post("/staff/login/code/", {"code": code or wrong_code(device)}, REMOTE_ADDR=ip)


def test_the_limits_leave_a_password_thief_no_real_chance_in_a_year():
    quarter, day = LIMITS["otp_account"], LIMITS["otp_account_day"]
    assert (quarter.attempts, quarter.window) == (5, dt.timedelta(minutes=15))
    assert (day.attempts, day.window) == (10, dt.timedelta(hours=24))
    accepted_at_once = 3  # the current code and one step either side (django-otp's tolerance of 1)
    assert day.attempts * 365 * accepted_at_once / 10**6 < 0.012


def test_after_five_wrong_codes_even_the_right_one_waits_a_quarter_hour(client, device, today):
    log_in(client, "office_clerk", path="/staff/login/")
    for _ in range(5):
        assert form_errors(guess(client, device), "code")[0].startswith("This code is wrong")

    response = guess(client, device, totp_code(device))

    assert form_errors(response)[0].startswith(TOO_MANY)
    assert not logged_in(client)
    assert AuditEntry.objects.filter(action="auth.2fa_failed").count() == 5
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=15, seconds=1)):
        response = guess(client, device, totp_code(device))
    assert response["Location"] == "/staff/"


def test_ten_wrong_codes_in_a_day_stop_guessing_until_the_day_has_passed(client, device, today):
    log_in(client, "office_clerk", path="/staff/login/")
    start = clock.now()
    for quarter in range(2):
        with clock.frozen_at(start + dt.timedelta(minutes=16 * quarter)):
            for _ in range(5):
                guess(client, device)

    with clock.frozen_at(start + dt.timedelta(hours=12)):
        assert form_errors(guess(client, device, totp_code(device)))[0].startswith(TOO_MANY)
    with clock.frozen_at(start + dt.timedelta(hours=24, minutes=17)):
        assert guess(client, device, totp_code(device))["Location"] == "/staff/"


def test_one_ip_guessing_codes_for_many_accounts_is_stopped_but_other_ips_are_not(client, cast, today):
    from ebok.accounts.models import User

    per_account = LIMITS["otp_account"].attempts
    users = [
        User.objects.create_user(username=f"staff{n}", password="correct horse battery", is_staff=True)
        for n in range(LIMITS["otp_ip"].attempts // per_account + 1)
    ]
    for user in users[:-1]:
        device = give_device(user)
        log_in(client, user.username, path="/staff/login/", REMOTE_ADDR="10.6.6.6")
        for _ in range(per_account):
            guess(client, device, ip="10.6.6.6")
    fresh = give_device(users[-1])  # no wrong code of its own yet

    log_in(client, fresh.user.username, path="/staff/login/", REMOTE_ADDR="10.6.6.6")
    blocked = guess(client, fresh, totp_code(fresh), ip="10.6.6.6")
    elsewhere = guess(client, fresh, totp_code(fresh), ip="10.0.0.2")

    assert form_errors(blocked)[0].startswith(TOO_MANY)
    assert elsewhere["Location"] == "/staff/"
