"""Authentication leaves a trail: logins (successful and failed) at every door, logouts, the second factor,
password changes and resets, and refused access, each with who, when (UTC) and from which IP."""

from __future__ import annotations

import datetime as dt

import pytest

from ebok.audit.models import AuditEntry
from tests.accounts.conftest import log_in
from tests.twofactor import give_device, totp_code, wrong_code


def entries(action: str):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_successful_portal_login_is_recorded_with_who_when_in_utc_and_the_ip(client, cast):
    log_in(client, "customer_a@example.org", REMOTE_ADDR="203.0.113.7")

    [entry] = entries("auth.login")
    assert entry.actor == cast["customer_a"]
    assert entry.object_type == "accounts.user" and entry.object_id == str(cast["customer_a"].pk)
    assert (entry.channel, entry.ip) == ("portal", "203.0.113.7")
    assert entry.at.utcoffset() == dt.timedelta(0)
    assert abs((entry.at - dt.datetime.now(dt.UTC)).total_seconds()) < 60
    assert entry.data == {"second_factor": False}


def test_a_failed_login_is_recorded_with_the_account_it_aimed_at(client, cast):
    log_in(client, "Customer_A@example.org", "wrong", REMOTE_ADDR="203.0.113.8")

    [entry] = entries("auth.login_failed")
    assert entry.actor is None
    assert entry.object_id == str(cast["customer_a"].pk)
    assert entry.ip == "203.0.113.8"
    assert entry.data == {"username": "customer_a@example.org"}


def test_a_failed_login_for_an_unknown_address_is_recorded_too(client, db):
    log_in(client, "nobody@example.org", "wrong")

    [entry] = entries("auth.login_failed")
    assert (entry.object_type, entry.object_id) == ("accounts.user", "")
    assert entry.data == {"username": "nobody@example.org"}


@pytest.mark.parametrize(
    ("path", "channel"), [("/staff/login/", "backoffice"), ("/reader/login/", "collector")]
)
def test_staff_and_reader_logins_are_recorded_with_their_door_and_the_second_factor(
    client, cast, path, channel
):
    device = give_device(cast["meter_reader"])
    log_in(client, "meter_reader", "wrong", path=path)
    log_in(client, "meter_reader", path=path)
    assert not entries("auth.login")  # the password alone is not a login

    client.post(f"{path}code/", {"code": wrong_code(device)})
    client.post(f"{path}code/", {"code": totp_code(device)})

    assert [e.channel for e in entries("auth.login_failed")] == [channel]
    assert [e.channel for e in entries("auth.2fa_failed")] == [channel]
    [login] = entries("auth.login")
    assert (login.channel, login.actor, login.data) == (
        channel,
        cast["meter_reader"],
        {"second_factor": True},
    )


def test_a_logout_is_recorded(client, cast):
    log_in(client, "customer_a@example.org")

    client.post("/logout/")

    [entry] = entries("auth.logout")
    assert entry.actor == cast["customer_a"]


def test_a_password_reset_request_for_a_known_address_is_recorded(client, cast):
    client.post("/password/reset/", {"email": "customer_a@example.org"})
    client.post("/password/reset/", {"email": "nobody@example.org"})

    [entry] = entries("auth.password_reset_requested")
    assert entry.object_id == str(cast["customer_a"].pk)
    assert entry.actor is None


@pytest.mark.parametrize(
    ("who", "url"),
    [("customer_a", "/staff/customers/"), ("meter_reader", "/staff/audit/"), ("customer_a", "/reader/")],
)
def test_refused_access_is_recorded(client, cast, who, url):
    client.force_login(cast[who])

    assert client.get(url, REMOTE_ADDR="198.51.100.4").status_code == 403

    [entry] = entries("access.denied")
    assert entry.actor == cast[who]
    assert entry.ip == "198.51.100.4"
    assert entry.data["path"] == url and entry.data["method"] == "GET"
