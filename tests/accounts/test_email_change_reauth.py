"""Changing the e-mail address (where invoices and the account's messages go) needs the current password, so
that someone at a computer left logged in can't redirect them. The account's login address can't be changed
in the portal at all (only the office changes it)."""

from __future__ import annotations

import pytest

from ebok.accounts.throttle import LIMITS
from ebok.customers.models import CHANGEABLE_FIELDS, ChangeRequest
from tests.accounts.conftest import PASSWORD, form_errors

NEEDS_PASSWORD = "To change the e-mail address, type your current password."
WRONG = "The password is wrong. Type the password you log in with to change the e-mail address."


@pytest.fixture
def anna(client, cast, today):
    client.force_login(cast["customer_a"])
    return cast["customer_a_record"]


def form(customer, **changes) -> dict:
    data = {field: getattr(customer, field) or "" for field in CHANGEABLE_FIELDS}
    data.update(message="", current_password="")
    data.update(changes)
    return data


def test_a_new_e_mail_address_without_the_password_is_refused_with_a_clear_error(client, anna):
    response = client.post("/panel/data/change/", form(anna, email="new@example.org"))

    assert response.status_code == 200
    assert form_errors(response, "current_password") == [NEEDS_PASSWORD]
    assert not ChangeRequest.objects.exists()


def test_a_wrong_password_is_refused(client, anna):
    response = client.post("/panel/data/change/", form(anna, email="new@example.org", current_password="x"))

    assert form_errors(response, "current_password") == [WRONG]
    assert not ChangeRequest.objects.exists()


def test_the_right_password_sends_the_request(client, anna):
    response = client.post(
        "/panel/data/change/", form(anna, email="new@example.org", current_password=PASSWORD)
    )

    assert response["Location"] == "/panel/"
    assert ChangeRequest.objects.get().changes == {"email": "new@example.org"}


def test_other_changes_need_no_password(client, anna):
    response = client.post("/panel/data/change/", form(anna, phone="600 100 200"))

    assert response["Location"] == "/panel/"


def test_guessing_the_password_there_is_limited_like_the_login(client, anna):
    for _ in range(LIMITS["login_account"].attempts):
        client.post("/panel/data/change/", form(anna, email="new@example.org", current_password="guess"))

    response = client.post(
        "/panel/data/change/", form(anna, email="new@example.org", current_password=PASSWORD)
    )

    assert form_errors(response, "current_password")[0].startswith("Too many attempts.")
    assert not ChangeRequest.objects.exists()


def test_the_form_marks_the_password_field_for_the_password_manager(client, anna):
    html = client.get("/panel/data/change/").content.decode()

    assert 'name="current_password" autocomplete="current-password"' in html
