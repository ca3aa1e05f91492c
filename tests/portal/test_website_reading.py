"""The website's reading form without an account: same validation, invoice to the customer, nothing shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.notifications.services import consents_set
from ebok.readings.models import Reading, Source

URL = "/reading/"


def send(client, home_a, value: str, *, code: str | None = None, serial: str | None = None):
    return client.post(
        URL,
        {
            "customer_code": code or home_a["customer"].code,
            "serial_number": serial or home_a["meter"].serial_number,
            "value": value,
        },
    )


def test_the_url_is_the_public_website_form():
    assert reverse("portal:website_reading") == URL


def test_an_accepted_reading_issues_the_invoice_but_shows_the_sender_nothing_of_it(client, home_a):
    response = send(client, home_a, "121")

    assert response.status_code == 200
    reading = Reading.objects.get(source=Source.WEBSITE)
    invoice = Invoice.objects.get(service_point=home_a["point"], period_end=reading.date)
    page = response.content.decode()
    for secret in (invoice.number, home_a["customer"].name, str(invoice.total_gross).replace(".", ",")):
        assert secret not in page


def test_with_e_invoice_consent_the_customer_gets_the_pdf_by_e_mail(
    client, home_a, django_capture_on_commit_callbacks
):
    customer = home_a["customer"]
    customer.email = "anna@example.org"
    customer.save()
    consents_set(actor=SYSTEM, customer=customer, wanted={("e_invoice", "email"): True}, channel="office")

    with django_capture_on_commit_callbacks(execute=True):
        send(client, home_a, "121")

    [message] = mail.outbox
    assert message.to == ["anna@example.org"]
    [(name, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")


def test_without_consent_no_e_mail_is_sent_and_the_invoice_waits_in_ebok_for_post(
    client, home_a, django_capture_on_commit_callbacks
):
    home_a["customer"].email = "anna@example.org"
    home_a["customer"].save()

    with django_capture_on_commit_callbacks(execute=True):
        send(client, home_a, "121")

    assert mail.outbox == []
    assert Invoice.objects.filter(service_point=home_a["point"]).count() == 3


def test_a_wrong_code_or_meter_gets_one_answer_that_reveals_neither(client, home_a, cast):
    other = cast["customer_b_record"]

    wrong_code = send(client, home_a, "121", code=other.code).content.decode()
    wrong_meter = send(client, home_a, "121", serial="XX-000").content.decode()

    assert "could not find" in wrong_code or "nie znaleźliśmy" in wrong_code.lower()
    assert wrong_code.count('role="alert"') == wrong_meter.count('role="alert"') == 1
    assert not Reading.objects.filter(source=Source.WEBSITE).exists()


def test_a_refused_reading_says_why_without_revealing_the_previous_reading(client, home_a):
    response = send(client, home_a, "117")

    page = response.content.decode()
    assert response.status_code == 400
    assert "118" not in page
    assert 'value="117"' in page


def test_guessing_codes_is_throttled_with_a_cool_off(client, home_a):
    for _ in range(10):
        send(client, home_a, "121", serial="XX-000")

    blocked = send(client, home_a, "121")

    assert blocked.status_code == 429
    assert not Reading.objects.filter(source=Source.WEBSITE).exists()
    with clock.frozen_at(clock.now() + dt.timedelta(hours=1, minutes=1)):
        assert send(client, home_a, "121").status_code == 200


@pytest.mark.parametrize("value", ["", "abc", "-1"])
def test_input_that_is_not_a_reading_is_explained(client, home_a, value):
    response = send(client, home_a, value)

    assert response.status_code == 400
    assert not Reading.objects.filter(source=Source.WEBSITE).exists()
