"""Logging in by e-mail address with a limit on failures, logging out, password reset and change, sessions."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail

from ebok.accounts.services import registration_activate, registration_confirm_email, registration_create
from ebok.accounts.throttle import LIMITS
from ebok.common import clock
from ebok.common.actor import SYSTEM, Actor

PASSWORD = "kwitnąca jabłoń 1987"
NEW_PASSWORD = "zielony most nad rzeką"
WRONG_LOGIN = "The e-mail address or the password is wrong. Passwords are case-sensitive."
TOO_MANY = "Too many attempts."


def registered(email: str, customer, *, activated_by=None):
    """A person who registered through the portal and confirmed the address (and was activated, if given)."""
    registration = registration_create(
        actor=SYSTEM,
        email=email,
        password=PASSWORD,
        customer_code=customer.code,
        invoice_number="FV/2025/000001",
        customer=customer,
    )
    registration_confirm_email(actor=SYSTEM, user=registration.user)
    if activated_by is not None:
        registration_activate(actor=Actor(user=activated_by, channel="backoffice"), registration=registration)
    return registration.user


@pytest.fixture
def person(cast, today):
    return registered("Ewa.Lis@example.org", cast["customer_b_record"], activated_by=cast["office_clerk"])


@pytest.fixture
def waiting_person(cast, today):
    return registered("jan.waiting@example.org", cast["customer_b_record"])


@pytest.fixture
def client(client):
    """Pages in English, so that the tests can read the messages as written in the code."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_logging_in_with_the_email_address_in_any_case_opens_the_panel(client, person):
    response = log_in(client, "  EWA.LIS@Example.org ")

    assert response.status_code == 302
    assert response["Location"] == "/panel/"
    assert client.get("/panel/").status_code == 200


def test_a_person_waiting_for_activation_can_log_in_and_sees_that_the_account_is_waiting(
    client, waiting_person, company
):
    response = log_in(client, "jan.waiting@example.org")
    assert response["Location"] == "/panel/"

    response = client.get("/panel/", follow=True)

    assert response.redirect_chain == [("/account/", 302)]
    html = response.content.decode()
    assert "Your account is waiting for activation by our staff" in html
    assert company.office_phone in html


def test_a_wrong_password_gets_a_message_that_does_not_say_which_half_was_wrong(client, person):
    response = log_in(client, "ewa.lis@example.org", "Kwitnąca jabłoń 1987")

    assert response.status_code == 200
    assert errors(response) == [WRONG_LOGIN]
    assert not logged_in(client)


def test_after_five_failures_even_the_right_password_is_refused_for_fifteen_minutes(client, person):
    limit = LIMITS["login_account"]
    assert (limit.attempts, limit.window) == (5, dt.timedelta(minutes=15))
    for _ in range(limit.attempts):
        assert errors(log_in(client, "ewa.lis@example.org", "wrong")) == [WRONG_LOGIN]

    response = log_in(client, "Ewa.Lis@example.org")

    assert response.status_code == 200
    assert errors(response)[0].startswith(TOO_MANY)
    assert not logged_in(client)

    with clock.frozen_at(clock.now() + dt.timedelta(minutes=14, seconds=59)):
        assert errors(log_in(client, "ewa.lis@example.org"))[0].startswith(TOO_MANY)
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=15, seconds=1)):
        response = log_in(client, "ewa.lis@example.org")
    assert response["Location"] == "/panel/"
    assert logged_in(client)


def test_a_successful_login_starts_the_failure_count_again(client, person):
    for _ in range(4):
        log_in(client, "ewa.lis@example.org", "wrong")
    log_in(client, "ewa.lis@example.org")
    client.post("/logout/")
    for _ in range(4):
        log_in(client, "ewa.lis@example.org", "wrong")

    assert log_in(client, "ewa.lis@example.org")["Location"] == "/panel/"


def test_an_unknown_address_gets_the_same_answers_as_a_known_one(client, person):
    known = [errors(log_in(client, "ewa.lis@example.org", "wrong")) for _ in range(6)]
    unknown = [errors(log_in(client, "nobody@example.org", "wrong")) for _ in range(6)]

    assert known == unknown
    assert known[0] == [WRONG_LOGIN]
    assert known[-1][0].startswith(TOO_MANY)


def test_logging_out_is_a_post_and_ends_the_session(client, person):
    log_in(client, "ewa.lis@example.org")

    assert client.get("/logout/").status_code == 405
    assert logged_in(client)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert not logged_in(client)
    response = client.get("/panel/")
    assert response["Location"].startswith("/login/")


def test_password_reset_answers_known_and_unknown_addresses_alike_and_mails_only_the_known(
    client, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/password/reset/", {"email": "EWA.LIS@example.org"})
        unknown = client.post("/password/reset/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/password/reset/sent/"
    assert [m.to for m in mail.outbox] == [["Ewa.Lis@example.org"]]


def test_the_link_in_the_password_reset_email_sets_a_new_password(
    client, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"email": "ewa.lis@example.org"})
    link = re.search(r"https?://\S+/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)

    form_page = client.get(urlsplit(link).path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response["Location"] == "/password/reset/done/"
    assert errors(log_in(client, "ewa.lis@example.org", PASSWORD)) == [WRONG_LOGIN]
    assert log_in(client, "ewa.lis@example.org", NEW_PASSWORD)["Location"] == "/panel/"


def test_a_password_reset_link_works_only_once(client, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"email": "ewa.lis@example.org"})
    path = urlsplit(re.search(r"https?://\S+/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)).path
    form_page = client.get(path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(path, follow=True)

    assert not again.context["validlink"]


def test_changing_the_password_keeps_the_person_logged_in(client, person):
    log_in(client, "ewa.lis@example.org")

    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    assert client.get("/panel/").status_code == 200
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_the_language_a_person_uses_is_remembered_for_their_e_mails(client, cast):
    user = cast["customer_a"]
    client.force_login(user)

    client.post("/i18n/setlang/", {"language": "en", "next": "/panel/"})

    user.refresh_from_db()
    assert user.language == "en"
    assert client.cookies["django_language"].value == "en"
