"""The signed unsubscribe link in a notification: works without logging in, once, and refuses tampering."""

from __future__ import annotations

import re

import pytest

from ebok.common.actor import SYSTEM
from ebok.customers.models import Customer
from ebok.notifications.models import ConsentChannel, ConsentKind
from ebok.notifications.selectors import consent_history, has_consent
from ebok.notifications.services import consents_set, notify_invoice_issued

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def link(home_a, smtp_server):
    """The unsubscribe link of a "new invoice" notice, as received over SMTP."""
    customer = home_a["customer"]
    Customer.objects.filter(pk=customer.pk).update(email="anna@example.org")
    customer.refresh_from_db()
    consents_set(
        actor=SYSTEM,
        customer=customer,
        wanted={(ConsentKind.INVOICE_ISSUED, "email"): True},
        channel="portal",
    )
    notify_invoice_issued(customer.invoices.order_by("id").last())
    [(_, message)] = smtp_server.received
    url = re.search(r"http://\S+/unsubscribe/\S+/", message.get_body(("plain",)).get_content()).group(0)
    return url.removeprefix("http://127.0.0.1:8000")


def test_the_link_asks_before_withdrawing_and_then_withdraws_the_consent_without_a_login(
    client, home_a, link
):
    customer = home_a["customer"]

    page = client.get(link)
    assert page.status_code == 200
    assert has_consent(customer, ConsentKind.INVOICE_ISSUED)

    done = client.post(link)
    assert done.status_code == 200
    assert not has_consent(customer, ConsentKind.INVOICE_ISSUED)
    latest = consent_history(customer).first()
    assert (latest.kind, latest.given, latest.channel) == (
        ConsentKind.INVOICE_ISSUED,
        False,
        ConsentChannel.LINK,
    )


def test_the_link_works_once(client, home_a, link):
    client.post(link)
    consents_set(  # the customer gives the consent again in the portal
        actor=SYSTEM,
        customer=home_a["customer"],
        wanted={(ConsentKind.INVOICE_ISSUED, "email"): True},
        channel="portal",
    )

    again = client.post(link)

    assert again.status_code == 410
    assert has_consent(home_a["customer"], ConsentKind.INVOICE_ISSUED)


def test_mail_programs_can_unsubscribe_in_one_click_without_a_csrf_token(home_a, link):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert not has_consent(home_a["customer"], ConsentKind.INVOICE_ISSUED)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature changed
        lambda token: "IjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCI" + token[token.index(":") :],
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused_and_changes_nothing(client, home_a, link, tamper):
    token = link.rstrip("/").rsplit("/", 1)[1]

    response = client.post(f"/unsubscribe/{tamper(token)}/")

    assert response.status_code == 400
    assert has_consent(home_a["customer"], ConsentKind.INVOICE_ISSUED)
