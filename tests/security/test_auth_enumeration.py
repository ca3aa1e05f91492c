"""No account enumeration (ASVS 5.0 V6.3.8): login, password reset and registration answer a known and an
unknown address alike, and do the same expensive work (one password hash) for both, so the answer's timing
says nothing either. The work is counted (calls of the argon2 hasher) rather than timed, which would be flaky.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.test import override_settings

from ebok.accounts.models import User
from tests import factories
from tests.factories import make_history

PASSWORD = "kwitnąca jabłoń 1987"


@pytest.fixture
def argon2():
    """The production hasher, with a spy on each run of it (hashing a new password or checking one)."""
    runs = []
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def spy_encode(self, password, salt):
        runs.append("encode")
        return encode(self, password, salt)

    def spy_verify(self, password, encoded):
        runs.append("verify")
        return verify(self, password, encoded)

    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]),
        mock.patch.object(Argon2PasswordHasher, "encode", spy_encode),
        mock.patch.object(Argon2PasswordHasher, "verify", spy_verify),
    ):
        yield runs


@pytest.fixture
def known(db, argon2):
    user = User.objects.create_user(username="ewa@example.org", email="ewa@example.org", password=PASSWORD)
    argon2.clear()
    return user


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def answer(response) -> tuple:
    """What the person sees: status, where it leads, and the form's messages."""
    form = response.context["form"] if response.context and "form" in response.context else None
    messages = sorted(str(e) for errors in form.errors.values() for e in errors) if form else []
    return response.status_code, response.get("Location"), messages


# --- login ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["ewa@example.org", "EWA@example.org", "nobody@example.org", "nobody"])
def test_a_wrong_login_runs_the_hasher_once_whether_or_not_the_account_exists(
    client, known, argon2, username
):
    response = client.post("/login/", {"username": username, "password": "not the password"})

    assert len(argon2) == 1, argon2
    assert answer(response) == (
        200,
        None,
        ["The e-mail address or the password is wrong. Passwords are case-sensitive."],
    )


def test_an_inactive_account_answers_like_a_wrong_password_and_runs_the_hasher_once(client, known, argon2):
    known.is_active = False
    known.save()

    inactive = client.post("/login/", {"username": "ewa@example.org", "password": PASSWORD})
    unknown = client.post("/login/", {"username": "nobody@example.org", "password": PASSWORD})

    assert answer(inactive) == answer(unknown)
    assert argon2 == ["verify", "encode"]


# --- password reset -------------------------------------------------------------------------------------


def test_a_password_reset_answers_alike_and_mails_only_a_known_address(
    client, known, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            answer(client.post("/password/reset/", {"email": email}))
            for email in ("ewa@example.org", "nobody@example.org")
        ]

    assert answers[0] == answers[1] == (302, "/password/reset/sent/", [])
    assert [m.to for m in mail.outbox] == [["ewa@example.org"]]


# --- registration ---------------------------------------------------------------------------------------


@pytest.fixture
def household(tariff, today):
    customer = factories.make_customer(name="Celina Zając")
    make_history(customer, tariff.group, invoices=1, today=today)
    return customer


def test_registration_answers_alike_and_hashes_once_for_a_known_and_a_new_address(
    client, known, household, argon2, django_capture_on_commit_callbacks
):
    results = {}
    for email in ("ewa@example.org", "new.person@example.org"):
        argon2.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/register/",
                {
                    "customer_code": household.code,
                    "invoice_number": household.invoices.first().number,
                    "email": email,
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                },
            )
        results[email] = (answer(response), list(argon2))

    assert results["ewa@example.org"] == results["new.person@example.org"]
    assert results["ewa@example.org"] == ((302, "/register/sent/", []), ["encode"])
    assert len(mail.outbox) == 2  # the owner of the known address is told by e-mail; the new one confirms
