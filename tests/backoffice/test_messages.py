"""Staff see the outbox (every e-mail and SMS, failed ones marked), filter and search it, open a message, and send
a failed one again; the customer's page lists the customer's messages."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail

from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.notifications.models import Announcement, ConsentKind, Message, MessageStatus
from ebok.notifications.outbox import message_queue

LIST = "/staff/messages/"


@pytest.fixture
def staff(staff_en):
    return staff_en


def make_message(*, customer=None, status=MessageStatus.SENT, minutes_ago: int = 0, **fields) -> Message:
    defaults = {
        "template": "invoice_issued",
        "medium": "email",
        "to": "anna@example.org",
        "subject": "Nowa faktura",
        "body": "Dzień dobry,\n\nwystawiliśmy fakturę.",
        "kind": ConsentKind.INVOICE_ISSUED if customer else "",
    }
    return Message.objects.create(
        customer=customer,
        status=status,
        created_at=clock.now() - dt.timedelta(minutes=minutes_ago),
        **{**defaults, **fields},
    )


@pytest.fixture
def outbox(cast, today):
    """Three messages of customer A (one failed), one account message without a customer."""
    anna = cast["customer_a_record"]
    return {
        "old": make_message(customer=anna, minutes_ago=30, subject="Odczyt przyjęty"),
        "failed": make_message(
            customer=anna,
            status=MessageStatus.FAILED,
            minutes_ago=20,
            subject="Faktura FV/2025/000007",
            attempts=5,
            last_error="SMTPRecipientsRefused: 550 no such user",
        ),
        "queued": make_message(customer=anna, status=MessageStatus.QUEUED, minutes_ago=10, subject="Wpłata"),
        "account": make_message(
            to="jan@example.org", subject="Potwierdź adres", template="confirm_email", minutes_ago=5
        ),
    }


def listed(response) -> list[Message]:
    return list(response.context["page"].object_list)


# --- the list ------------------------------------------------------------------------------------------


def test_the_outbox_lists_every_message_newest_first_and_marks_failed_ones(staff, outbox):
    response = staff("office_clerk").get(LIST)

    assert response.status_code == 200
    assert listed(response) == [outbox["account"], outbox["queued"], outbox["failed"], outbox["old"]]
    page = response.content.decode()
    assert '<tr class="late">' in page
    assert page.count('<tr class="late">') == 1
    assert '<strong class="warn">failed</strong>' in page
    assert f'href="/staff/messages/{outbox["failed"].pk}/"' in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [("queued", ["queued"]), ("sending", []), ("sent", ["account", "old"]), ("failed", ["failed"])],
)
def test_the_outbox_filters_by_status(staff, outbox, status, expected):
    response = staff("office_clerk").get(LIST, {"status": status})

    assert listed(response) == [outbox[name] for name in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jan@example", ["account"]),  # part of the address
        ("fv/2025/000007", ["failed"]),  # part of the subject, any case
        ("customer_a", ["queued", "failed", "old"]),  # the customer's code (replaced below)
    ],
)
def test_the_outbox_search_finds_by_address_subject_or_customer_code(staff, outbox, cast, query, expected):
    if query == "customer_a":
        query = cast["customer_a_record"].code

    response = staff("office_clerk").get(LIST, {"q": query})

    assert listed(response) == [outbox[name] for name in expected]


def test_the_outbox_search_and_the_status_filter_work_together(staff, outbox, cast):
    response = staff("office_clerk").get(LIST, {"q": cast["customer_a_record"].code, "status": "failed"})

    assert listed(response) == [outbox["failed"]]


def test_an_unknown_status_is_refused_and_the_whole_outbox_shown(staff, outbox):
    response = staff("office_clerk").get(LIST, {"status": "lost"})

    assert response.status_code == 400
    assert "status" in response.context["form"].errors
    assert len(listed(response)) == 4


def test_the_outbox_is_paginated_and_the_pages_keep_the_filter(staff, cast, today):
    for minute in range(51):
        make_message(status=MessageStatus.SENT, minutes_ago=minute, to=f"u{minute}@example.org")

    first = staff("office_clerk").get(LIST, {"status": "sent"})
    second = staff("office_clerk").get(LIST, {"status": "sent", "page": 2})

    assert len(listed(first)) == 50
    assert "?status=sent&amp;page=2" in first.content.decode()
    assert [m.to for m in listed(second)] == ["u50@example.org"]


# --- one message ---------------------------------------------------------------------------------------


def test_the_message_page_shows_the_message_and_links_to_the_customer(staff, outbox, cast):
    message = outbox["failed"]

    response = staff("office_clerk").get(f"/staff/messages/{message.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    code = cast["customer_a_record"].code
    assert f'<a href="/staff/customers/{code}/">{code} Anna Nowak</a>' in page
    for text in [
        "<h1>Faktura FV/2025/000007</h1>",
        "anna@example.org",
        "<code>invoice_issued</code>",
        "A new invoice",
        "Polish",
        "SMTPRecipientsRefused: 550 no such user",
        "<p>Dzień dobry,</p>",
        "<p>wystawiliśmy fakturę.</p>",
        "Send again",
    ]:
        assert text in page, text


def test_an_account_message_says_it_needs_no_consent(staff, outbox):
    page = staff("office_clerk").get(f"/staff/messages/{outbox['account'].pk}/").content.decode()

    assert "account message (needs no consent)" in page
    assert "Send again" not in page  # it was sent


def test_a_one_time_link_in_a_message_is_not_shown_to_staff(staff, cast, today):
    message = make_message(
        status=MessageStatus.FAILED,
        template="password_reset",
        subject="Nowe hasło",
        body="Otwórz https://ebok.example.org/reset/MQ/secret-token/",
        sensitive=True,
    )

    page = staff("administrator").get(f"/staff/messages/{message.pk}/").content.decode()

    assert "secret-token" not in page
    assert "one-time link" in page


def test_a_missing_message_is_404(staff, cast):
    assert staff("office_clerk").get("/staff/messages/999999/").status_code == 404


# --- sending again -------------------------------------------------------------------------------------


def refused(self, messages):
    raise smtplib.SMTPRecipientsRefused({"anna@example.org": (550, b"5.1.1 no such user")})


def test_a_message_that_failed_is_sent_again_by_staff_and_audited(
    staff, cast, today, monkeypatch, django_capture_on_commit_callbacks
):
    anna = cast["customer_a_record"]
    announcement = Announcement(
        title="Przerwa w dostawie wody",
        body="Awaria na ul. Polnej.",
        scope="all",
        starts_on=today,
        ends_on=today,
    )
    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refused)
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(
            to="anna@example.org",
            template="announcement",
            context={"announcement": announcement, "customer": anna},
            customer=anna,
            kind=ConsentKind.OUTAGE,
        )
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED  # refused addresses are not retried
    assert "no such user" in message.last_error
    monkeypatch.undo()  # the mail server accepts it now

    client = staff("office_clerk")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/messages/{message.pk}/resend/")

    assert response.status_code == 302
    assert response["Location"] == f"/staff/messages/{message.pk}/"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2
    [sent] = mail.outbox
    assert sent.to == ["anna@example.org"]
    assert sent.subject == "Przerwa w dostawie wody"
    [entry] = AuditEntry.objects.filter(action="message.resent")
    assert entry.actor == cast["office_clerk"]
    assert entry.channel == "backoffice"
    assert entry.object_id == str(message.pk)
    assert entry.customer_id == anna.pk
    page = client.get(response["Location"]).content.decode()
    assert "queued to be sent again" in page


def test_sending_again_puts_the_message_back_in_the_queue(staff, outbox):
    """Without running the queue (no commit here): the message waits, its error kept for reference."""
    message = outbox["failed"]

    staff("administrator").post(f"/staff/messages/{message.pk}/resend/")

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.next_attempt_at is None
    assert message.attempts == 5


@pytest.mark.parametrize("name", ["old", "queued"])
def test_only_a_failed_message_can_be_sent_again(staff, outbox, django_capture_on_commit_callbacks, name):
    message = outbox[name]
    client = staff("office_clerk")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/messages/{message.pk}/resend/", follow=True)

    assert "Only a failed message can be sent again" in response.content.decode()
    assert Message.objects.get(pk=message.pk).status == message.status
    assert not AuditEntry.objects.filter(action="message.resent").exists()
    assert mail.outbox == []


def test_the_auditor_sees_a_failed_message_but_cannot_send_it_again(staff, outbox):
    client = staff("auditor")
    message = outbox["failed"]

    page = client.get(f"/staff/messages/{message.pk}/").content.decode()
    response = client.post(f"/staff/messages/{message.pk}/resend/")

    assert "no such user" in page
    assert "Send again" not in page
    assert response.status_code == 403
    assert Message.objects.get(pk=message.pk).status == MessageStatus.FAILED


def test_sending_again_needs_a_post(staff, outbox):
    response = staff("office_clerk").get(f"/staff/messages/{outbox['failed'].pk}/resend/")

    assert response.status_code == 405


# --- on the customer's page ----------------------------------------------------------------------------


def test_the_customer_page_lists_the_customers_messages_with_links(staff, outbox, cast):
    code = cast["customer_a_record"].code

    response = staff("auditor").get(f"/staff/customers/{code}/")

    assert [m.pk for m in response.context["sent"]] == [
        outbox["queued"].pk,
        outbox["failed"].pk,
        outbox["old"].pk,
    ]
    page = response.content.decode()
    assert f'href="/staff/messages/{outbox["failed"].pk}/"' in page
    assert "Potwierdź adres" not in page  # not this customer's


def test_the_customer_page_links_to_all_messages_when_there_are_more(staff, cast, today):
    anna = cast["customer_a_record"]
    for minute in range(21):
        make_message(customer=anna, minutes_ago=minute)

    response = staff("office_clerk").get(f"/staff/customers/{anna.code}/")

    assert len(response.context["sent"]) == 20
    assert f'href="/staff/messages/?q={anna.code}"' in response.content.decode()


def test_the_menu_shows_messages_and_announcements_to_those_who_may_see_them(staff, cast):
    clerk = staff("office_clerk").get("/staff/").content.decode()
    reader = staff("meter_reader").get("/staff/").content.decode()

    assert 'href="/staff/messages/"' in clerk
    assert 'href="/staff/announcements/"' in clerk
    assert 'href="/staff/messages/"' not in reader
    assert 'href="/staff/announcements/"' not in reader


def test_the_start_page_counts_the_messages_that_could_not_be_sent(staff, outbox):
    page = staff("office_clerk").get("/staff/")

    assert page.context["waiting"]["failed_messages"] == 1
    assert f"{LIST}?status=failed" in page.content.decode()
