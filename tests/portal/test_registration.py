"""Registration: a customer code and one of the customer's invoice numbers, e-mail confirmation, throttling,
no account enumeration, and e-mails in the language of the page."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from ebok.accounts.models import Registration, RegistrationStatus, User
from ebok.accounts.services import registration_confirm_email, registration_reject
from ebok.accounts.throttle import LIMITS
from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.common.actor import SYSTEM, Actor
from tests import factories
from tests.factories import make_history

PASSWORD = "kwitnąca jabłoń 1987"
TOO_MANY = "Too many attempts."
NO_MATCH = "This customer code and invoice number do not match an invoice of ours."


@pytest.fixture
def household(tariff, today):
    """A customer with one invoice and no portal account yet."""
    customer = factories.make_customer(name="Celina Zając")
    make_history(customer, tariff.group, invoices=1, today=today)
    return customer


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run what waits for the commit (sending e-mail), as a real request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form_data(customer, **overrides):
    data = {
        "customer_code": customer.code,
        "invoice_number": customer.invoices.first().number,
        "email": "celina.zajac@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def confirmation_path(message) -> str:
    link = re.search(r"https?://\S+/register/confirm/\S+/", message.body).group(0)
    return urlsplit(link).path


def register(client, delivered, customer, **overrides):
    with delivered():
        return client.post("/register/", form_data(customer, **overrides))


def test_a_matching_code_and_invoice_create_an_account_waiting_for_email_confirmation(
    client, delivered, household
):
    response = register(client, delivered, household)

    assert response.status_code == 302
    assert response["Location"] == "/register/sent/"
    user = User.objects.get(email="celina.zajac@example.org")
    assert user.registration.status == RegistrationStatus.EMAIL
    assert user.registration.customer == household
    assert user.check_password(PASSWORD)
    assert [m.to for m in mail.outbox] == [["celina.zajac@example.org"]]
    assert "/register/confirm/" in mail.outbox[0].body


def test_the_spaces_and_case_of_the_invoice_number_do_not_matter(client, delivered, household):
    number = household.invoices.first().number
    register(client, delivered, household, invoice_number=f" {number.lower()} ")

    assert Registration.objects.get().customer == household


def test_the_link_in_the_email_confirms_the_address_and_says_when_the_account_will_be_active(
    client, delivered, household, company
):
    register(client, delivered, household)

    response = english(client).get(confirmation_path(mail.outbox[0]))

    assert response.status_code == 200
    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.PENDING
    assert registration.email_confirmed_at == clock.now()
    html = response.content.decode()
    assert "We activate accounts within 24 hours" in html
    assert company.office_phone in html


def test_a_second_click_on_the_confirmation_link_is_harmless(client, delivered, household):
    register(client, delivered, household)
    path = confirmation_path(mail.outbox[0])
    client.get(path)
    confirmed_at = Registration.objects.get().email_confirmed_at

    later = clock.now() + dt.timedelta(minutes=5)
    with clock.frozen_at(later):
        response = client.get(path)

    # The used link gets the neutral page (it says nothing about the account) that points to the login.
    assert response.status_code == 400
    assert reverse("portal:login") in response.content.decode()
    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.PENDING
    assert registration.email_confirmed_at == confirmed_at
    assert AuditEntry.objects.filter(action="registration.email_confirmed").count() == 1


def test_a_tampered_confirmation_link_is_refused_and_changes_nothing(client, delivered, household):
    register(client, delivered, household)
    path = confirmation_path(mail.outbox[0])
    uid, token = path.strip("/").split("/")[-2:]
    tampered = f"/register/confirm/{uid}/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}/"

    response = client.get(tampered)

    assert response.status_code == 400
    assert Registration.objects.get().status == RegistrationStatus.EMAIL


def test_a_link_to_someone_elses_user_id_with_a_made_up_token_does_not_show_their_registration(
    client, delivered, household, cast
):
    register(client, delivered, household)
    uid = confirmation_path(mail.outbox[0]).strip("/").split("/")[-2]
    registration = Registration.objects.get()
    registration_confirm_email(actor=SYSTEM, user=registration.user)
    clerk = Actor(user=cast["office_clerk"], channel="backoffice")
    registration_reject(actor=clerk, registration=registration, reason="Faktura należy do innej osoby.")

    response = client.get(f"/register/confirm/{uid}/made-up-token/")

    assert "Faktura należy do innej osoby." not in response.content.decode()
    assert response.status_code == 400


@pytest.mark.parametrize("wrong", ["customer_code", "invoice_number"])
def test_a_pair_that_does_not_match_is_refused_without_saying_which_half_is_wrong(
    client, delivered, household, wrong
):
    other = factories.make_customer(name="Dariusz Lis")  # a real code, but not the invoice's customer
    overrides = {"customer_code": other.code} if wrong == "customer_code" else {"invoice_number": "FV/1999/9"}

    response = register(english(client), delivered, household, **overrides)

    assert response.status_code == 200
    form = response.context["form"]
    assert [str(e) for e in form.non_field_errors()] == [
        "This customer code and invoice number do not match an invoice of ours. Check both on your invoice "
        "(see where they are printed), or tick the box below to let our office check your registration."
    ]
    assert set(form.errors) == {"__all__"}
    html = response.content.decode()
    data = form_data(household, **overrides)
    assert f'value="{data["customer_code"]}"' in html
    assert f'value="{data["invoice_number"]}"' in html
    assert 'value="celina.zajac@example.org"' in html
    assert PASSWORD not in html
    assert not User.objects.filter(email="celina.zajac@example.org").exists()
    assert mail.outbox == []


def test_a_pair_that_does_not_match_can_be_left_to_the_office_to_check(client, delivered, household):
    response = register(client, delivered, household, invoice_number="FV/1999/9", verify_by_office="on")

    assert response["Location"] == "/register/sent/"
    registration = Registration.objects.get(user__email="celina.zajac@example.org")
    assert registration.customer is None
    assert registration.invoice_number == "FV/1999/9"
    assert registration.status == RegistrationStatus.EMAIL
    assert len(mail.outbox) == 1


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_is_told_by_email(
    client, delivered, household, cast
):
    users_before = User.objects.count()

    response = register(english(client), delivered, household, email="Customer_A@Example.ORG")

    assert response.status_code == 302
    assert response["Location"] == "/register/sent/"
    assert User.objects.count() == users_before
    assert not Registration.objects.exists()
    assert [m.to for m in mail.outbox] == [["customer_a@example.org"]]
    assert mail.outbox[0].subject == "EBOK: you already have an account"
    assert "/register/confirm/" not in mail.outbox[0].body


@pytest.mark.parametrize(
    ("password1", "password2", "field", "error"),
    [
        (PASSWORD, PASSWORD + "x", "password2", "The two passwords are different."),
        ("k7#Qz", "k7#Qz", "password1", "This password is too short."),
        ("password123", "password123", "password1", "This password is too common."),
    ],
    ids=["mismatch", "too-short", "too-common"],
)
def test_a_bad_password_is_a_field_error(client, delivered, household, password1, password2, field, error):
    response = register(english(client), delivered, household, password1=password1, password2=password2)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(e.startswith(error) for e in errors[field])
    assert not User.objects.filter(email="celina.zajac@example.org").exists()
    assert mail.outbox == []


def test_after_too_many_wrong_pairs_for_a_code_even_the_right_pair_waits_until_the_window_passes(
    client, delivered, household, today
):
    english(client)
    limit = LIMITS["register_code"]
    for _ in range(limit.attempts):
        response = register(client, delivered, household, invoice_number="FV/1999/9")
        assert NO_MATCH in response.content.decode()

    response = register(client, delivered, household)

    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert not User.objects.filter(email="celina.zajac@example.org").exists()

    with clock.frozen_at(clock.now() + limit.window + dt.timedelta(seconds=1)):
        response = register(client, delivered, household)

    assert response["Location"] == "/register/sent/"
    assert Registration.objects.get().customer == household


def test_wrong_pairs_for_one_code_do_not_hold_up_another_code(client, delivered, household, tariff, today):
    neighbour = factories.make_customer(name="Dariusz Lis")
    make_history(neighbour, tariff.group, invoices=1, today=today)
    for _ in range(LIMITS["register_code"].attempts):
        register(client, delivered, household, invoice_number="FV/1999/9")

    response = register(client, delivered, neighbour, email="dariusz.lis@example.org")

    assert response["Location"] == "/register/sent/"


def test_registration_emails_are_polish_by_default(client, delivered, household):
    register(client, delivered, household)

    user = User.objects.get(email="celina.zajac@example.org")
    assert user.language == "pl"
    with translation.override("pl"):
        subject = translation.gettext("EBOK: confirm your e-mail address")
    assert mail.outbox[0].subject == subject


def test_the_polish_confirmation_email_is_actually_translated(client, delivered, household):
    register(client, delivered, household)

    assert mail.outbox[0].subject != "EBOK: confirm your e-mail address"
    assert "Thank you for registering" not in mail.outbox[0].body


@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_registration_emails_follow_the_language_of_the_page(client, delivered, household, cast, how):
    if how == "cookie":
        english(client)
        headers = {}
    else:
        headers = {"Accept-Language": "en"}

    with delivered():
        client.post("/register/", form_data(household), headers=headers)
        client.post("/register/", form_data(household, email="customer_b@example.org"), headers=headers)

    assert User.objects.get(email="celina.zajac@example.org").language == "en"
    assert [m.subject for m in mail.outbox] == [
        "EBOK: confirm your e-mail address",
        "EBOK: you already have an account",
    ]
    assert "Thank you for registering in EBOK." in mail.outbox[0].body


def test_a_logged_in_person_is_sent_to_their_account_instead_of_registering(client_a):
    response = client_a.get("/register/")

    assert response.status_code == 302
    assert response["Location"] == "/account/"
