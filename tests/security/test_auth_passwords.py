"""Passwords (ASVS 5.0 V6.2): at least 8 characters, 64 and more allowed and never cut short, no composition
rules, common passwords refused; registration, password change and password reset all apply the same rules;
stored with argon2."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from ebok.accounts.models import User
from tests import factories
from tests.factories import make_history

PASSPHRASE = "zielony most nad rzeką o świcie"  # all lowercase letters and spaces: fine
LONG = "a long passphrase that goes on and on " * 3  # 114 characters
assert len(LONG) >= 100
TOO_SHORT = "zq8vkpw"  # 7 characters
EIGHT = "zq8vkpwm"
COMMON = ["password", "12345678", "qwertyuiop", "iloveyou", "password123"]


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def problems(password: str, user=None) -> list[str]:
    with translation.override("en"):
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            return list(error.messages)
    return []


def test_eight_characters_is_the_minimum():
    assert problems(EIGHT) == []
    assert problems(TOO_SHORT) == ["This password is too short. It must contain at least 8 characters."]


@pytest.mark.parametrize("password", [LONG, "x" * 64 + "y" * 36, PASSPHRASE, "żółć gęślą jaźń zawsze"])
def test_long_passwords_and_passphrases_without_digits_capitals_or_symbols_are_accepted(password):
    assert problems(password) == []


@pytest.mark.parametrize("password", COMMON)
def test_a_common_password_is_refused(password):
    assert any("too common" in p for p in problems(password))


def test_no_rule_asks_for_digits_capitals_or_symbols():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator"]


def test_a_long_password_is_not_cut_short_by_the_hash(db):
    user = User.objects.create_user(username="long", password=LONG)

    assert user.check_password(LONG)
    assert not user.check_password(LONG[:-1])
    assert not user.check_password(LONG[:72])  # bcrypt would stop at 72 bytes


def test_passwords_are_stored_with_argon2_in_production():
    from ebok import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        encoded = make_password(LONG)
        assert encoded.startswith("argon2$argon2id$")
        assert check_password(LONG, encoded)


# --- every form that sets a password applies the rules ---------------------------------------------------


@pytest.fixture
def household(tariff, today):
    customer = factories.make_customer(name="Celina Zając")
    make_history(customer, tariff.group, invoices=1, today=today)
    return customer


def register(client, customer, password, email="celina@example.org"):
    return client.post(
        "/register/",
        {
            "customer_code": customer.code,
            "invoice_number": customer.invoices.first().number,
            "email": email,
            "password1": password,
            "password2": password,
        },
    )


@pytest.mark.parametrize(
    ("password", "accepted"), [(TOO_SHORT, False), ("12345678", False), (EIGHT, True), (LONG, True)]
)
def test_registration_applies_the_rules(client, household, password, accepted):
    response = register(client, household, password)

    assert (response.status_code == 302) is accepted
    assert User.objects.filter(email="celina@example.org").exists() is accepted
    if accepted:
        assert User.objects.get(email="celina@example.org").check_password(password)


@pytest.mark.parametrize(
    ("password", "accepted"), [(TOO_SHORT, False), ("iloveyou", False), (PASSPHRASE, True), (LONG, True)]
)
def test_a_password_change_applies_the_rules(client, cast, password, accepted):
    client.force_login(cast["customer_a"])

    response = client.post(
        "/password/change/",
        {"old_password": "correct horse battery", "new_password1": password, "new_password2": password},
    )

    assert (response.status_code == 302) is accepted
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].check_password(password) is accepted


@pytest.mark.parametrize(
    ("password", "accepted"), [(TOO_SHORT, False), ("qwertyuiop", False), (PASSPHRASE, True), (LONG, True)]
)
def test_a_password_reset_applies_the_rules(
    client, cast, django_capture_on_commit_callbacks, password, accepted
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"email": "customer_a@example.org"})
    link = re.search(r"https?://\S+/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)
    form_url = client.get(urlsplit(link).path, follow=True).redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": password, "new_password2": password})

    assert (response.status_code == 302) is accepted
    cast["customer_a"].refresh_from_db()
    assert cast["customer_a"].check_password(password) is accepted
