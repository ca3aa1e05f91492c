"""Staff log in in two steps: the password, then a code from an authenticator app (set up at the first login).
Nobody is logged in by the password alone, and no staff page opens without the code."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.accounts.sessions import PENDING_KEY
from ebok.audit.models import AuditEntry
from tests.accounts.conftest import PASSWORD, form_errors, log_in, logged_in
from tests.twofactor import code_for_secret, force_login_unverified, give_device, totp_code

WRONG_CODE = "This code is wrong or has already been used."


@pytest.fixture
def clerk(cast):
    return cast["office_clerk"]


@pytest.fixture
def clerk_device(clerk):
    return give_device(clerk)


def test_a_clerk_without_a_device_sets_one_up_after_the_password_with_a_qr_code_and_the_secret_as_text(
    client, clerk
):
    response = log_in(client, "office_clerk", path="/staff/login/")

    assert response["Location"] == "/staff/login/setup/"
    assert not logged_in(client)
    page = client.get("/staff/login/setup/")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<svg role="img"[^>]*class="qr"', html)  # the QR code, drawn inline
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # nothing the CSP would block
    secret = page.context["secret"]
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret) and secret in html
    assert client.get("/staff/").status_code == 302  # still not logged in

    response = client.post("/staff/login/setup/", {"code": code_for_secret(secret)})

    assert response["Location"] == "/staff/"
    assert logged_in(client)
    assert client.get("/staff/").status_code == 200
    assert TOTPDevice.objects.get(user=clerk).confirmed
    assert AuditEntry.objects.filter(action="auth.2fa_enabled", object_id=str(clerk.pk)).exists()


def test_the_setup_page_shows_the_same_secret_until_it_is_confirmed(client, clerk):
    log_in(client, "office_clerk", path="/staff/login/")

    first = client.get("/staff/login/setup/").context["secret"]
    again = client.get("/staff/login/setup/").context["secret"]

    assert first == again


def test_a_wrong_code_does_not_confirm_the_device_and_does_not_log_in(client, clerk):
    log_in(client, "office_clerk", path="/staff/login/")
    secret = client.get("/staff/login/setup/").context["secret"]
    right = code_for_secret(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post("/staff/login/setup/", {"code": wrong})

    assert response.status_code == 200
    assert form_errors(response, "code")[0].startswith(WRONG_CODE)
    assert not logged_in(client)
    assert not TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()


def test_a_clerk_with_a_device_gives_the_code_after_the_password_before_any_staff_page_opens(
    client, clerk_device
):
    response = log_in(client, "office_clerk", path="/staff/login/?next=/staff/customers/")

    assert response["Location"] == "/staff/login/code/"
    assert not logged_in(client)
    assert client.get("/staff/customers/")["Location"].startswith("/staff/login/?next=")

    response = client.post("/staff/login/code/", {"code": totp_code(clerk_device)})

    assert response["Location"] == "/staff/customers/"
    assert client.get("/staff/customers/").status_code == 200


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_a_code_that_is_not_six_digits_is_a_field_error(client, clerk_device, code):
    log_in(client, "office_clerk", path="/staff/login/")

    response = client.post("/staff/login/code/", {"code": code})

    assert response.status_code == 200
    assert form_errors(response, "code")
    assert not logged_in(client)


def test_a_code_with_a_space_in_the_middle_is_accepted(client, clerk_device):
    log_in(client, "office_clerk", path="/staff/login/")
    code = totp_code(clerk_device)

    response = client.post("/staff/login/code/", {"code": f"{code[:3]} {code[3:]}"})

    assert response["Location"] == "/staff/"


def test_a_code_works_only_once(client, clerk_device, django_user_model):
    log_in(client, "office_clerk", path="/staff/login/")
    code = totp_code(clerk_device)
    client.post("/staff/login/code/", {"code": code})
    client.post("/logout/")

    log_in(client, "office_clerk", path="/staff/login/")
    response = client.post("/staff/login/code/", {"code": code})

    assert form_errors(response, "code")[0].startswith(WRONG_CODE)
    assert not logged_in(client)


def test_the_password_step_is_forgotten_after_ten_minutes(client, clerk_device, monkeypatch):
    assert settings.EBOK_2FA_PENDING_SECONDS == 600
    log_in(client, "office_clerk", path="/staff/login/")
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)

    response = client.get("/staff/login/code/")

    assert response["Location"] == "/staff/login/"
    assert PENDING_KEY not in client.session


def test_the_code_page_without_the_password_step_sends_to_the_login(client, clerk_device):
    assert client.get("/staff/login/code/")["Location"] == "/staff/login/"
    assert client.post("/staff/login/code/", {"code": totp_code(clerk_device)})["Location"] == "/staff/login/"
    assert not logged_in(client)


def test_a_staff_session_without_the_code_is_sent_to_the_code_page_by_every_staff_page(client, clerk_device):
    force_login_unverified(client, clerk_device.user)

    response = client.get("/staff/customers/")

    assert response["Location"] == "/staff/login/code/?next=/staff/customers/"
    response = client.post("/staff/login/code/?next=/staff/customers/", {"code": totp_code(clerk_device)})
    assert response["Location"] == "/staff/customers/"
    assert client.get("/staff/customers/").status_code == 200


def test_a_session_alone_can_not_set_up_a_device_for_staff(client, clerk):
    """After an administrator reset the device, a session left open somewhere must not choose the new one:
    setting up always follows the password."""
    force_login_unverified(client, clerk)

    assert client.get("/staff/").url == "/staff/login/code/?next=/staff/"
    assert client.get("/staff/login/code/?next=/staff/").url == "/staff/login/setup/?next=%2Fstaff%2F"
    response = client.get("/staff/login/setup/?next=/staff/")

    assert response["Location"].startswith("/staff/login/?next=")
    assert not TOTPDevice.objects.filter(user=clerk).exists()


def test_a_session_alone_can_not_confirm_a_device_shown_to_someone_else(client, clerk):
    """Even a device left unconfirmed by an earlier set-up page can't be confirmed without the password."""
    other = Client()
    log_in(other, "office_clerk", path="/staff/login/")
    secret = other.get("/staff/login/setup/").context["secret"]
    force_login_unverified(client, clerk)

    response = client.post("/staff/login/setup/", {"code": code_for_secret(secret)})

    assert response["Location"].startswith("/staff/login/?next=")
    assert not TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()


def test_a_session_that_gave_the_code_is_not_asked_again(client, clerk_device):
    client.force_login(clerk_device.user)  # with the code (tests/conftest.py)

    assert client.get("/staff/login/code/?next=/staff/audit/")["Location"] == "/staff/audit/"


def test_the_address_to_go_to_after_the_code_stays_on_this_site(client, clerk_device):
    log_in(client, "office_clerk", path="/staff/login/?next=https://evil.example/")

    response = client.post("/staff/login/code/", {"code": totp_code(clerk_device)})

    assert response["Location"] == "/staff/"


def test_a_staff_member_logging_in_at_the_portal_also_gives_the_code(client, clerk_device):
    response = log_in(client, "office_clerk")

    assert response["Location"] == "/login/code/"
    assert not logged_in(client)
    response = client.post("/login/code/", {"code": totp_code(clerk_device)})
    assert logged_in(client)
    assert client.get("/staff/").status_code == 200


def test_a_customer_without_two_step_login_logs_in_with_the_password_alone(client, cast):
    response = log_in(client, "customer_a@example.org")

    assert response["Location"] == "/panel/"
    assert logged_in(client)


# --- the meter reader's app ----------------------------------------------------------------------------


def test_the_reader_gives_the_code_at_the_reader_login_too(client, cast):
    device = give_device(cast["meter_reader"])

    response = log_in(client, "meter_reader", path="/reader/login/")

    assert response["Location"] == "/reader/login/code/"
    page = client.get("/reader/login/code/")
    assert page.status_code == 200 and "Meter reader login" in page.content.decode()
    response = client.post("/reader/login/code/", {"code": totp_code(device)})
    assert response["Location"] == "/reader/"
    assert client.get("/reader/").status_code == 200


def test_a_reader_without_a_device_sets_it_up_at_the_reader_login(client, cast):
    response = log_in(client, "meter_reader", path="/reader/login/")

    assert response["Location"] == "/reader/login/setup/"
    secret = client.get("/reader/login/setup/").context["secret"]
    assert client.post("/reader/login/setup/", {"code": code_for_secret(secret)})["Location"] == "/reader/"


def test_a_reader_session_without_the_code_gets_the_code_page_or_401_for_data(client, cast):
    force_login_unverified(client, cast["meter_reader"])

    assert client.get("/reader/")["Location"] == "/reader/login/code/?next=/reader/"
    response = client.get("/reader/route.json")
    assert response.status_code == 401 and response.json() == {"error": "login"}
    assert client.post("/reader/sync/", "{}", content_type="application/json").status_code == 401


# --- Django's admin --------------------------------------------------------------------------------------


def test_the_admin_site_has_no_login_of_its_own_and_needs_the_code(client, cast):
    admin = cast["administrator"]
    admin.is_superuser = True
    admin.save()

    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/staff/login/?next=/admin/"
    assert (
        client.post("/admin/login/", {"username": "administrator", "password": PASSWORD}).status_code == 302
    )
    assert not logged_in(client)

    force_login_unverified(client, admin)
    assert client.get("/admin/").status_code == 302

    client.force_login(admin)  # with the code (tests/conftest.py)
    assert client.get("/admin/").status_code == 200
