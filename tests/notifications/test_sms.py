"""SMS: phone numbers as the gateway wants them, the SMSAPI.pl adapter against a real HTTP server started for
the test, and SMS notifications through the outbox (consent, provider switch, retries, then FAILED)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.notifications.models import ConsentKind, ConsentMedium, Message, MessageStatus
from ebok.notifications.outbox import message_deliver, messages_requeue
from ebok.notifications.services import consents_set
from ebok.notifications.sms import SmsApiPl, SmsError, normalize_phone
from ebok.payments.services import payment_record
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = "test-token-123"


# --- normalize_phone -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "600123456",
        "600 123 456",
        "600-123-456",
        "+48 600 123 456",
        "+48600123456",
        "0048 600 123 456",
        "(+48) 600-123-456",
        "48 600 123 456",
    ],
)
def test_a_polish_mobile_number_written_any_usual_way_becomes_digits_with_the_country_code(raw):
    assert normalize_phone(raw) == "48600123456"


def test_a_foreign_number_with_its_country_code_is_kept():
    assert normalize_phone("+49 151 2345 6789") == "4915123456789"
    assert normalize_phone("0049 151 23456789") == "4915123456789"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "brak",
        "tel. 600 123 456",
        "600 123 45",  # 8 digits
        "+48 600 123 45",  # a Polish number has 9 digits after +48
        "+48 600 123 4567",
        "0600123456",  # no country code, not 9 digits
        "12345",
        "+48 600 123 456 wew. 12",
        "+1234567890123456",  # longer than E.164 allows
    ],
)
def test_anything_that_is_not_a_phone_number_gives_none(raw):
    assert normalize_phone(raw) is None


# --- the SMSAPI.pl adapter against a local HTTP server -------------------------------------------------------


@dataclass
class Gateway:
    """What the fake gateway received, and what it answers next (HTTP status and JSON body)."""

    url: str = ""
    received: list = field(default_factory=list)
    status: int = 200
    truncated: bool = False  # the connection closes before the whole answer is sent
    answer: dict = field(default_factory=lambda: {"count": 1, "list": [{"id": "GW-1001", "points": 0.16}]})


def _handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            gateway.received.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "form": urllib.parse.parse_qs(body.decode("ascii"), encoding="utf-8"),
                }
            )
            payload = json.dumps(gateway.answer).encode()
            self.send_response(gateway.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload) + (50 if gateway.truncated else 0)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # noqa: A002 - quiet test output
            pass

    return Handler


@pytest.fixture
def gateway():
    state = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms.do"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_smsapi_posts_the_form_with_the_bearer_token_and_returns_the_gateways_id(gateway):
    provider = SmsApiPl(url=gateway.url, token=TOKEN, sender="ZUK Test")

    message_id = provider.send(
        to="48600123456", text="EBOK: wpłata 12,50 zł przyjęta. Dziękujemy! Zażółć gęślą jaźń"
    )

    assert message_id == "GW-1001"
    [request] = gateway.received
    assert request["method"] == "POST"
    assert request["path"] == "/sms.do"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "to": ["48600123456"],
        "message": ["EBOK: wpłata 12,50 zł przyjęta. Dziękujemy! Zażółć gęślą jaźń"],
        "from": ["ZUK Test"],
        "format": ["json"],
        "encoding": ["utf-8"],
    }


def test_without_a_sender_name_the_gateways_default_is_used(gateway):
    SmsApiPl(url=gateway.url, token=TOKEN).send(to="48600123456", text="x")

    assert "from" not in gateway.received[0]["form"]


def test_an_error_answer_raises_sms_error_with_the_gateways_code_and_message(gateway):
    gateway.answer = {"error": 101, "message": "Authorization failed"}

    with pytest.raises(SmsError, match="101.*Authorization failed"):
        SmsApiPl(url=gateway.url, token=TOKEN).send(to="48600123456", text="x")


def test_an_http_500_raises_sms_error(gateway):
    gateway.status, gateway.answer = 500, {"message": "internal error"}

    with pytest.raises(SmsError, match="HTTP 500"):
        SmsApiPl(url=gateway.url, token=TOKEN).send(to="48600123456", text="x")


@pytest.mark.parametrize("answer", [{"count": 0, "list": []}, {"unexpected": True}, 42, ["a"]])
def test_an_answer_without_a_message_id_raises_sms_error(gateway, answer):
    gateway.answer = answer

    with pytest.raises(SmsError):
        SmsApiPl(url=gateway.url, token=TOKEN).send(to="48600123456", text="x")


def test_an_answer_cut_off_midway_raises_sms_error(gateway):
    gateway.truncated = True

    with pytest.raises(SmsError, match="unreadable"):
        SmsApiPl(url=gateway.url, token=TOKEN).send(to="48600123456", text="x")


def test_an_unreachable_gateway_raises_sms_error():
    with socket.socket() as s:  # a port nobody listens on once the socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    with pytest.raises(SmsError, match="unreachable"):
        SmsApiPl(url=f"http://127.0.0.1:{port}/sms.do", token=TOKEN, timeout=5).send(
            to="48600123456", text="x"
        )


# --- SMS notifications through the outbox --------------------------------------------------------------------


@pytest.fixture
def smsapi(settings, gateway):
    settings.EBOK_SMS_PROVIDER = "smsapi"
    settings.EBOK_SMSAPI_URL = gateway.url
    settings.EBOK_SMSAPI_TOKEN = TOKEN
    settings.EBOK_SMSAPI_SENDER = ""
    return gateway


def _customer(*, phone="600 123 456", sms_consent=True, language="pl"):
    customer = factories.make_customer(name="Celina Zając", phone=phone, language=language)
    if sms_consent:
        consents_set(
            actor=SYSTEM,
            customer=customer,
            wanted={(ConsentKind.PAYMENT_RECEIVED, ConsentMedium.SMS): True},
            channel="portal",
        )
    return customer


def _pay(customer, django_capture_on_commit_callbacks, amount="123.45"):
    with django_capture_on_commit_callbacks(execute=True):
        return payment_record(
            actor=SYSTEM, customer=customer, amount=D(amount), received_on=clock.today(), title="woda"
        )


def test_a_customer_with_sms_consent_gets_one_short_sms_with_the_unsubscribe_link(
    company, today, smsapi, django_capture_on_commit_callbacks
):
    customer = _customer(language="en")

    _pay(customer, django_capture_on_commit_callbacks)

    message = Message.objects.get(customer=customer)
    assert (message.medium, message.kind, message.to) == ("sms", ConsentKind.PAYMENT_RECEIVED, "48600123456")
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert message.subject == "" and message.body_html == ""
    assert "123.45 zł" in message.body
    assert "/unsubscribe/" in message.body
    assert "\n" not in message.body
    assert len(message.body) <= 3 * 67  # at most three parts of a Unicode SMS ("zł")
    [request] = smsapi.received
    assert request["form"]["to"] == ["48600123456"]
    assert request["form"]["message"] == [message.body]
    assert mail.outbox == []


def test_a_customer_without_sms_consent_gets_no_sms(
    company, today, smsapi, django_capture_on_commit_callbacks
):
    customer = _customer(sms_consent=False)

    _pay(customer, django_capture_on_commit_callbacks)

    assert not Message.objects.filter(customer=customer).exists()
    assert smsapi.received == []


def test_a_customer_without_a_usable_phone_number_gets_no_sms(
    company, today, smsapi, django_capture_on_commit_callbacks
):
    customer = _customer(phone="41 123")

    _pay(customer, django_capture_on_commit_callbacks)

    assert not Message.objects.filter(customer=customer).exists()
    assert smsapi.received == []


def test_with_sms_switched_off_no_sms_message_is_created(
    company, today, settings, gateway, django_capture_on_commit_callbacks
):
    settings.EBOK_SMS_PROVIDER = ""
    customer = _customer()

    _pay(customer, django_capture_on_commit_callbacks)

    assert not Message.objects.filter(medium=ConsentMedium.SMS).exists()
    assert gateway.received == []


def test_a_gateway_error_is_retried_and_after_the_last_retry_the_sms_is_failed(
    company, today, smsapi, settings, django_capture_on_commit_callbacks
):
    settings.EBOK_MESSAGE_RETRY_DELAYS = [0]
    smsapi.answer = {"error": 103, "message": "Not enough points"}
    customer = _customer()

    _pay(customer, django_capture_on_commit_callbacks)

    message = Message.objects.get(customer=customer)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1
    assert "103" in message.last_error and "Not enough points" in message.last_error

    assert message_deliver(message_id=message.pk) == MessageStatus.FAILED

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 2
    assert message.next_attempt_at is None
    assert len(smsapi.received) == 2


def test_the_periodic_requeue_retries_a_failed_sms_when_the_queue_cannot_defer(
    company, today, smsapi, settings, django_capture_on_commit_callbacks
):
    # The test queue (ImmediateBackend) can't run a task later: the retry waits for messages_requeue,
    # which `ebok worker` and `ebok notify` run every few minutes.
    settings.EBOK_MESSAGE_RETRY_DELAYS = [60]
    smsapi.answer = {"error": 103, "message": "Not enough points"}
    customer = _customer()
    _pay(customer, django_capture_on_commit_callbacks)
    message = Message.objects.get(customer=customer)
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)

    assert messages_requeue() == 0  # not due yet
    smsapi.answer = {"count": 1, "list": [{"id": "GW-2002"}]}
    with clock.frozen_at(clock.now() + dt.timedelta(seconds=61)):
        assert messages_requeue() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, "")
    assert len(smsapi.received) == 2
