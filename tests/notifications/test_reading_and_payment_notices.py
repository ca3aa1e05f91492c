"""Notices about a customer's readings (held for review, then accepted or rejected by staff) and payments
(received, or assigned to the customer later), each only with the customer's consent and each once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core import mail

from ebok.common.actor import SYSTEM
from ebok.notifications.models import ConsentKind, ConsentMedium, Message, MessageStatus
from ebok.notifications.services import consents_set, notify_payment_received, notify_reading_review
from ebok.payments.services import payment_assign, payment_record
from ebok.readings.models import Source, Status
from ebok.readings.services import reading_review, reading_submit
from tests import factories

pytestmark = pytest.mark.django_db


def _consent(customer, kind):
    consents_set(
        actor=SYSTEM, customer=customer, wanted={(kind, ConsentMedium.EMAIL): True}, channel="portal"
    )


@pytest.fixture
def customer(company):
    return factories.make_customer(name="Anna Nowak", email="anna@example.org", language="en")


@pytest.fixture
def meter(customer, tariff, today):
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2025, 1, 31))
    return factories.make_meter(point, reading="1200", serial="WM-42")


@pytest.fixture
def held(meter, customer, django_capture_on_commit_callbacks):
    """A reading far above the usual use (100 m³ in two months for 3 people), which the rules hold."""
    _consent(customer, ConsentKind.READING_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_submit(
            actor=SYSTEM, meter=meter, value="1300", date=dt.date(2025, 3, 31), source=Source.PORTAL
        )
    assert reading.status == Status.HELD
    return reading


# --- readings ------------------------------------------------------------------------------------------------


def test_a_held_reading_tells_the_customer_it_is_being_checked(held, customer):
    message = Message.objects.get()
    assert (message.customer, message.kind, message.template) == (
        customer,
        ConsentKind.READING_REVIEW,
        "reading_held",
    )
    assert message.status == MessageStatus.SENT
    [email] = mail.outbox
    assert email.to == ["anna@example.org"]
    assert email.subject == "EBOK: your reading is being checked"
    assert "1300.000 m³ of meter WM-42" in email.body
    assert "31.03.2025" in email.body
    assert "much more than usual" in email.body  # why it is held


def test_accepting_a_held_reading_sends_reading_accepted(held, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reading_review(actor=SYSTEM, reading=held, accept=True)

    assert [m.template for m in Message.objects.order_by("id")] == ["reading_held", "reading_accepted"]
    email = mail.outbox[-1]
    assert email.subject == "EBOK: your reading was accepted"
    assert "accepted your reading 1300.000 m³ of meter WM-42" in email.body


def test_rejecting_a_held_reading_sends_reading_rejected_with_the_staffs_reason(
    held, django_capture_on_commit_callbacks
):
    reason = "The photo shows 1230, not 1300; please check the black digits."
    with django_capture_on_commit_callbacks(execute=True):
        reading_review(actor=SYSTEM, reading=held, accept=False, reason=reason)

    assert [m.template for m in Message.objects.order_by("id")] == ["reading_held", "reading_rejected"]
    email = mail.outbox[-1]
    assert email.subject == "EBOK: your reading was not accepted"
    assert "did not accept your reading 1300.000 m³ of meter WM-42" in email.body
    assert reason in email.body


def test_a_decision_is_announced_once_however_often_the_notice_is_asked_for(
    held, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_review(actor=SYSTEM, reading=held, accept=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_reading_review(reading, outcome="accepted") == []

    assert Message.objects.filter(template="reading_accepted").count() == 1
    assert len(mail.outbox) == 2


def test_without_reading_review_consent_nothing_is_sent(meter, customer, django_capture_on_commit_callbacks):
    _consent(customer, ConsentKind.PAYMENT_RECEIVED)  # a different consent
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_submit(
            actor=SYSTEM, meter=meter, value="1300", date=dt.date(2025, 3, 31), source=Source.PORTAL
        )
        reading_review(actor=SYSTEM, reading=reading, accept=False, reason="Wrong meter.")

    assert reading.status == Status.HELD
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_a_reading_accepted_at_once_sends_no_review_notice(
    meter, customer, django_capture_on_commit_callbacks
):
    _consent(customer, ConsentKind.READING_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        reading_submit(
            actor=SYSTEM, meter=meter, value="1215", date=dt.date(2025, 3, 31), source=Source.PORTAL
        )

    assert not Message.objects.exists()


# --- payments ------------------------------------------------------------------------------------------------


def test_a_payment_matched_to_a_consenting_customer_sends_payment_received_with_the_amount(
    customer, today, django_capture_on_commit_callbacks
):
    _consent(customer, ConsentKind.PAYMENT_RECEIVED)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(actor=SYSTEM, customer=customer, amount=D("123.45"), received_on=dt.date(2025, 6, 27))

    message = Message.objects.get()
    assert (message.kind, message.template, message.status) == (
        ConsentKind.PAYMENT_RECEIVED,
        "payment_received",
        MessageStatus.SENT,
    )
    [email] = mail.outbox
    assert email.to == ["anna@example.org"]
    assert email.subject == "EBOK: payment received"
    assert "We received your payment of 123.45 zł on 27.06.2025." in email.body


def test_the_amount_is_written_the_polish_way_for_a_polish_customer(
    company, today, django_capture_on_commit_callbacks
):
    customer = factories.make_customer(email="jan@example.org", language="pl")
    _consent(customer, ConsentKind.PAYMENT_RECEIVED)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(actor=SYSTEM, customer=customer, amount=D("1234.50"), received_on=dt.date(2025, 6, 27))

    [email] = mail.outbox
    assert "1234,50 zł" in email.body


def test_a_payment_of_a_customer_without_consent_sends_nothing(
    customer, today, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(actor=SYSTEM, customer=customer, amount=D("50.00"), received_on=dt.date(2025, 6, 27))

    assert not Message.objects.exists()
    assert mail.outbox == []


def test_an_unmatched_payment_sends_nothing_until_it_is_assigned_and_then_once(
    customer, today, django_capture_on_commit_callbacks
):
    _consent(customer, ConsentKind.PAYMENT_RECEIVED)
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record(
            actor=SYSTEM, amount=D("80.00"), received_on=dt.date(2025, 6, 27), title="za wodę, ul. Polna"
        )
    assert payment.customer is None
    assert not Message.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_assign(actor=SYSTEM, payment=payment, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_payment_received(payment) == []  # asked again: already sent

    message = Message.objects.get()
    assert message.template == "payment_received"
    [email] = mail.outbox
    assert "80.00 zł" in email.body
