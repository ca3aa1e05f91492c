"""Messages sent over real SMTP: recipients, subject and language, the invoice PDF only with e-invoice consent,
the consent history, and the worker: messages wait while it is stopped, failures are retried and then stay
visible as failed — never lost."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from ebok.common.actor import SYSTEM
from ebok.customers.models import Customer
from ebok.notifications.models import ConsentKind, InvoiceDelivery, Message, MessageStatus
from ebok.notifications.outbox import message_resend, send_email
from ebok.notifications.selectors import consent_history
from ebok.notifications.services import consents_set, notify_invoice_issued

pytestmark = pytest.mark.django_db(transaction=True)


def _customer(home_a, *, email="anna@example.org", language="pl") -> Customer:
    customer = home_a["customer"]
    Customer.objects.filter(pk=customer.pk).update(email=email, language=language)
    customer.refresh_from_db()
    return customer


def _consent(customer, kind, given=True):
    return consents_set(actor=SYSTEM, customer=customer, wanted={(kind, "email"): given}, channel="portal")


def _attachments(message):
    return list(message.iter_attachments())


def test_an_e_invoice_arrives_over_smtp_with_its_pdf_in_the_customers_language(home_a, smtp_server):
    customer = _customer(home_a, language="en")
    _consent(customer, ConsentKind.E_INVOICE)
    invoice = customer.invoices.order_by("id").last()

    assert notify_invoice_issued(invoice) == "email"

    [(recipients, message)] = smtp_server.received
    assert recipients == ["anna@example.org"]
    assert message["Subject"] == f"Invoice {invoice.number}"
    assert "The invoice is attached as a PDF file." in message.get_body(("plain",)).get_content()
    [pdf] = _attachments(message)
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == invoice.number.replace("/", "-") + ".pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert message.get_body(("html",)) is not None
    assert str(message["List-Unsubscribe"]).strip().startswith("<http")
    assert Message.objects.get().status == MessageStatus.SENT


def test_without_e_invoice_consent_the_notice_has_no_attachment_and_is_in_polish(home_a, smtp_server):
    customer = _customer(home_a)
    _consent(customer, ConsentKind.INVOICE_ISSUED)
    invoice = customer.invoices.order_by("id").last()

    assert notify_invoice_issued(invoice) == "notice"

    [(recipients, message)] = smtp_server.received
    assert message["Subject"] == f"Faktura {invoice.number}"
    assert _attachments(message) == []
    assert "/invoices/" in message.get_body(("plain",)).get_content()


def test_without_any_consent_nothing_is_sent_and_the_invoice_goes_by_post(home_a, smtp_server):
    invoice = _customer(home_a).invoices.order_by("id").last()

    assert notify_invoice_issued(invoice) == "paper"
    assert smtp_server.received == []
    assert InvoiceDelivery.objects.get(invoice=invoice).method == "paper"


def test_an_invoice_is_delivered_once_however_often_it_is_announced(home_a, smtp_server):
    customer = _customer(home_a)
    _consent(customer, ConsentKind.E_INVOICE)
    invoice = customer.invoices.order_by("id").last()

    notify_invoice_issued(invoice)
    notify_invoice_issued(invoice)

    assert len(smtp_server.received) == 1


def test_withdrawing_e_invoice_consent_stops_the_pdf_from_the_next_invoice_on(home_a, smtp_server):
    customer = _customer(home_a)
    first, second = customer.invoices.order_by("id")
    [given] = _consent(customer, ConsentKind.E_INVOICE)
    _consent(customer, ConsentKind.INVOICE_ISSUED)
    notify_invoice_issued(first)

    [withdrawn] = _consent(customer, ConsentKind.E_INVOICE, given=False)
    notify_invoice_issued(second)

    (_, with_pdf), (_, without_pdf) = smtp_server.received
    assert len(_attachments(with_pdf)) == 1
    assert _attachments(without_pdf) == []
    history = [(e.kind, e.given, e.at) for e in consent_history(customer).filter(kind=ConsentKind.E_INVOICE)]
    assert history == [
        (ConsentKind.E_INVOICE, False, withdrawn.at),
        (ConsentKind.E_INVOICE, True, given.at),
    ]
    assert given.at <= withdrawn.at


def test_with_the_worker_stopped_messages_wait_and_are_sent_when_it_starts(
    home_a, smtp_server, database_queue
):
    send_email(to="anna@example.org", name="registration_activated", context={"customer": home_a["customer"]})

    message = Message.objects.get()
    assert message.status == MessageStatus.QUEUED
    assert smtp_server.received == []
    assert DBTaskResult.objects.ready().count() == 1

    call_command("worker", "--batch", "--no-schedule")

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    [(recipients, _)] = smtp_server.received
    assert recipients == ["anna@example.org"]


def test_a_failing_smtp_server_leads_to_retries_then_a_visible_failed_state_and_a_resend(
    home_a, smtp_server, database_queue, settings
):
    settings.EBOK_MESSAGE_RETRY_DELAYS = [0, 0]
    smtp_server.answer = "451 4.3.0 Try again later"
    send_email(to="anna@example.org", name="registration_activated", context={"customer": home_a["customer"]})

    call_command("worker", "--batch", "--no-schedule")

    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3  # the first try and two retries
    assert "451" in message.last_error
    assert smtp_server.received == []

    smtp_server.answer = "250 OK"
    message_resend(actor=SYSTEM, message=message)
    call_command("worker", "--batch", "--no-schedule")

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(smtp_server.received) == 1


def test_a_refused_recipient_fails_at_once_without_retries(home_a, smtp_server, database_queue):
    smtp_server.answer = "550 5.1.1 No such mailbox"
    send_email(
        to="nobody@example.org", name="registration_activated", context={"customer": home_a["customer"]}
    )

    call_command("worker", "--batch", "--no-schedule")

    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert "550" in message.last_error


def test_a_message_with_a_one_time_link_keeps_no_copy_of_it_once_sent(db, smtp_server, cast):
    user = cast["customer_a"]
    send_email(
        to=user.email, name="password_reset", context={"uid": "MQ", "token": "secret-token"}, sensitive=True
    )

    [(_, message)] = smtp_server.received
    assert "secret-token" in message.get_body(("plain",)).get_content()
    stored = Message.objects.get()
    assert "secret-token" not in stored.body + stored.body_html
