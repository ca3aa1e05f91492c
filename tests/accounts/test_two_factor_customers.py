"""Customers may turn two-step login on from their account page (and off again with their password); when it
is on, logging in asks for the code."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.audit.models import AuditEntry
from tests.accounts.conftest import PASSWORD, form_errors, log_in, logged_in
from tests.twofactor import code_for_secret, give_device, totp_code


@pytest.fixture
def anna(cast):
    return cast["customer_a"]


def test_the_account_page_offers_two_step_login_and_says_it_is_off(client, anna):
    client.force_login(anna)

    html = client.get("/account/").content.decode()

    assert "Two-step login" in html and "Turn on two-step login" in html
    assert "Two-step login is off" in client.get("/account/two-step/").content.decode()


def test_a_customer_turns_two_step_login_on_with_the_first_code_from_the_app(client, anna):
    client.force_login(anna)
    page = client.get("/account/two-step/setup/?next=/account/two-step/")
    assert page.status_code == 200 and "<svg" in page.content.decode()

    response = client.post(
        "/account/two-step/setup/?next=/account/two-step/", {"code": code_for_secret(page.context["secret"])}
    )

    assert response["Location"] == "/account/two-step/"
    assert TOTPDevice.objects.get(user=anna).confirmed
    assert "Two-step login is on" in client.get("/account/two-step/").content.decode()
    assert AuditEntry.objects.filter(action="auth.2fa_enabled", object_id=str(anna.pk)).exists()
    assert client.get("/panel/").status_code == 200  # this session counts as having given the code


def test_with_two_step_login_on_the_login_asks_for_the_code(client, anna):
    device = give_device(anna)

    response = log_in(client, "customer_a@example.org")

    assert response["Location"] == "/login/code/"
    assert not logged_in(client)
    assert client.get("/panel/")["Location"].startswith("/login/")
    page = client.get("/login/code/")
    assert page.status_code == 200 and "code" in page.content.decode()
    response = client.post("/login/code/", {"code": totp_code(device)})
    assert response["Location"] == "/panel/"
    assert client.get("/panel/").status_code == 200


def test_turning_it_off_needs_the_password(client, anna):
    give_device(anna)
    client.force_login(anna)

    wrong = client.post("/account/two-step/", {"password": "not my password"})

    assert form_errors(wrong, "password") == ["The password is wrong."]
    assert TOTPDevice.objects.filter(user=anna).exists()

    response = client.post("/account/two-step/", {"password": PASSWORD})

    assert response["Location"] == "/account/"
    assert not TOTPDevice.objects.filter(user=anna).exists()
    assert AuditEntry.objects.filter(action="auth.2fa_disabled", object_id=str(anna.pk)).exists()
    client.post("/logout/")
    assert log_in(client, "customer_a@example.org")["Location"] == "/panel/"


def test_staff_can_not_turn_it_off(client, cast):
    clerk = cast["office_clerk"]
    client.force_login(clerk)

    page = client.get("/account/two-step/").content.decode()
    client.post("/account/two-step/", {"password": PASSWORD})

    assert "Staff can't switch it off" in page
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()


def test_a_customer_who_has_it_on_is_not_offered_a_second_device(client, anna):
    give_device(anna)
    client.force_login(anna)

    response = client.get("/account/two-step/setup/")

    assert response["Location"] == "/account/two-step/"
    assert TOTPDevice.objects.filter(user=anna).count() == 1
