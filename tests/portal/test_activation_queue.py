"""The office's activation queue at /staff/: who may see it and decide, how long people wait, and what
activating or rejecting does for the person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail

from ebok.accounts.models import CustomerAccess, Registration, RegistrationStatus
from ebok.accounts.services import registration_confirm_email, registration_create
from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.common.actor import SYSTEM
from tests import factories
from tests.factories import make_history
from tests.twofactor import give_device, totp_code

PASSWORD = "kwitnąca jabłoń 1987"


@pytest.fixture
def household(tariff, today):
    """A customer with one invoice and no portal account yet."""
    customer = factories.make_customer(name="Celina Zając")
    make_history(customer, tariff.group, invoices=1, today=today)
    return customer


def register(email: str, customer, *, matched: bool = True) -> Registration:
    """A registration in English, not confirmed yet."""
    return registration_create(
        actor=SYSTEM,
        email=email,
        password=PASSWORD,
        customer_code=customer.code,
        invoice_number=customer.invoices.first().number if matched else "FV/1999/9",
        customer=customer if matched else None,
        language="en",
    )


def sign_up(email: str, customer, *, matched: bool = True, hours_ago: int = 2) -> Registration:
    """A registration whose address was confirmed `hours_ago` hours ago."""
    with clock.frozen_at(clock.now() - dt.timedelta(hours=hours_ago)):
        registration = register(email, customer, matched=matched)
        return registration_confirm_email(actor=SYSTEM, user=registration.user)


@pytest.fixture
def waiting(household):
    return sign_up("celina.zajac@example.org", household)


@pytest.fixture
def unmatched(household):
    return sign_up("ktos@example.org", household, matched=False)


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run what waits for the commit (sending e-mail), as a real request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def staff(client, cast):
    """Log in as one of the cast; pages in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def login(role: str):
        client.force_login(cast[role])
        return client

    return login


def decide(client, delivered, registration, **data):
    with delivered():
        return client.post(f"/staff/activations/{registration.pk}/", data, follow=True)


def row_of(html: str, email: str) -> str:
    return next(row for row in html.split("<tr")[1:] if email in row)


def test_anonymous_visitors_are_sent_to_the_staff_login(client, waiting):
    response = client.get("/staff/activations/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/staff/activations/"


def test_the_clerk_logs_in_at_the_staff_login_and_lands_on_the_queue(client, cast, waiting):
    device = give_device(cast["office_clerk"])
    response = client.post("/staff/login/", {"username": "office_clerk", "password": "correct horse battery"})
    assert response["Location"] == "/staff/login/code/"
    response = client.post("/staff/login/code/", {"code": totp_code(device)})

    assert response["Location"] == "/staff/"
    assert "celina.zajac@example.org" in client.get("/staff/activations/").content.decode()


@pytest.mark.parametrize("role", ["customer_a", "meter_reader"])
def test_customers_and_the_meter_reader_may_not_see_the_queue(staff, waiting, role):
    client = staff(role)

    assert client.get("/staff/activations/").status_code == 403
    assert client.post(f"/staff/activations/{waiting.pk}/", {"decision": "activate"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.PENDING


def test_the_auditor_sees_the_queue_but_may_not_decide(staff, waiting):
    client = staff("auditor")

    response = client.get("/staff/activations/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "celina.zajac@example.org" in html
    assert 'name="decision"' not in html

    assert client.post(f"/staff/activations/{waiting.pk}/", {"decision": "activate"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.PENDING
    assert not CustomerAccess.objects.filter(user=waiting.user).exists()


def test_the_clerk_sees_how_long_each_person_waits_and_who_waits_over_24_hours(staff, household, waiting):
    late = sign_up("dawno@example.org", household, hours_ago=30)
    register("jeszcze@example.org", household)  # not confirmed yet: not in the queue

    html = staff("office_clerk").get("/staff/activations/").content.decode()

    assert "jeszcze@example.org" not in html
    assert html.index("dawno@example.org") < html.index("celina.zajac@example.org")  # longest waiting first
    late_row = row_of(html, late.user.email)
    assert "30 hours" in late_row
    assert "over 24 h" in late_row
    fresh_row = row_of(html, "celina.zajac@example.org")
    assert "2 hours" in fresh_row
    assert "over 24 h" not in fresh_row


def test_activating_gives_access_to_the_matched_customer_and_tells_the_person(
    staff, delivered, cast, household, waiting
):
    clerk = staff("office_clerk")

    response = decide(clerk, delivered, waiting, decision="activate")

    assert response.redirect_chain == [("/staff/activations/", 302)]
    assert "Activated: celina.zajac@example.org" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.ACTIVE
    assert waiting.decided_by == cast["office_clerk"]
    assert waiting.decided_at == clock.now()
    assert list(CustomerAccess.objects.filter(user=waiting.user).values_list("customer", flat=True)) == [
        household.pk
    ]
    [message] = mail.outbox
    assert message.to == ["celina.zajac@example.org"]
    assert message.subject == "EBOK: your account is active"
    assert household.code in message.body
    [entry] = AuditEntry.objects.filter(action="registration.activated")
    assert entry.actor == cast["office_clerk"]
    assert entry.channel == "backoffice"
    assert entry.customer_id == household.pk
    assert "No accounts are waiting." in response.content.decode()

    clerk.logout()
    clerk.force_login(waiting.user)
    assert clerk.get("/panel/").status_code == 200


def test_rejecting_without_a_reason_is_refused(staff, delivered, waiting):
    response = decide(staff("office_clerk"), delivered, waiting, decision="reject", reason="   ")

    assert "Give the reason for rejecting; the person will read it." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.PENDING
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(action="registration.rejected").exists()


def test_rejecting_with_a_reason_tells_the_person_by_email_and_on_their_account_page(
    staff, delivered, cast, waiting
):
    reason = "The invoice number belongs to another customer."
    client = staff("office_clerk")

    response = decide(client, delivered, waiting, decision="reject", reason=reason)

    assert "Rejected: celina.zajac@example.org" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.REJECTED
    assert waiting.reject_reason == reason
    assert waiting.decided_by == cast["office_clerk"]
    [message] = mail.outbox
    assert message.to == ["celina.zajac@example.org"]
    assert reason in message.body
    assert AuditEntry.objects.filter(action="registration.rejected", actor=cast["office_clerk"]).count() == 1
    assert not CustomerAccess.objects.filter(user=waiting.user).exists()

    client.logout()
    client.force_login(waiting.user)
    assert reason in client.get("/account/").content.decode()
    assert client.get("/panel/")["Location"] == "/account/"


def test_a_registration_whose_pair_did_not_match_cannot_be_activated_but_can_be_rejected(
    staff, delivered, unmatched
):
    client = staff("office_clerk")
    row = row_of(client.get("/staff/activations/").content.decode(), "ktos@example.org")
    assert "no – check by phone" in row
    assert 'value="activate"' not in row

    response = decide(client, delivered, unmatched, decision="activate")

    assert "The code and invoice number did not match: find the customer first." in response.content.decode()
    unmatched.refresh_from_db()
    assert unmatched.status == RegistrationStatus.PENDING
    assert not CustomerAccess.objects.filter(user=unmatched.user).exists()
    assert mail.outbox == []

    decide(client, delivered, unmatched, decision="reject", reason="We could not find your invoice.")

    unmatched.refresh_from_db()
    assert unmatched.status == RegistrationStatus.REJECTED
    assert [m.to for m in mail.outbox] == [["ktos@example.org"]]


def test_a_registration_not_waiting_for_a_decision_cannot_be_decided(staff, delivered, household):
    registration = register("niepotwierdzony@example.org", household)

    response = staff("office_clerk").post(f"/staff/activations/{registration.pk}/", {"decision": "activate"})

    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.EMAIL


def test_a_decision_needs_a_post(staff, waiting):
    assert staff("office_clerk").get(f"/staff/activations/{waiting.pk}/").status_code == 405


@pytest.mark.parametrize("decision", ["activate", "reject"])
def test_the_queue_page_offers_the_clerk_both_decisions(staff, waiting, decision):
    row = row_of(
        staff("office_clerk").get("/staff/activations/").content.decode(), "celina.zajac@example.org"
    )

    assert f'name="decision" value="{decision}"' in row
