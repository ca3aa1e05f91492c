"""Every portal page but the public ones needs a logged-in customer, and nobody sees another's objects.

The list of URLs comes from the URL configuration, so a new page can't escape these tests.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, reverse

from ebok.portal.urls import urlpatterns
from ebok.readings.models import Reading, Source, Status

PUBLIC = {
    "home",
    "accessibility",
    "help",
    "help_topic",
    "website_reading",
    "register",
    "register_sent",
    "confirm_email",
    "login",
    "login_code",  # the login's second step: without a first step, back to the login (tests/accounts)
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "unsubscribe",  # the signed token in the link is the credential (tests/notifications/test_unsubscribe.py)
}
NAMES = [p.name for p in urlpatterns if isinstance(p, URLPattern)]
PRIVATE = [name for name in NAMES if name not in PUBLIC]


@pytest.fixture
def objects_of_a(home_a):
    """One object of customer A for every kind of URL argument."""
    meter = home_a["meter"]
    key = uuid.uuid4().hex
    held = Reading.objects.create(
        meter=meter,
        date=home_a["point"].billed_until,
        value=meter.installation_reading,
        source=Source.PORTAL,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "90", "days": 30, "expected": "9"},
        created_at=home_a["point"].customer.created_at,
        idempotency_key=f"{key}:{meter.pk}",
    )
    return {
        "invoice_id": home_a["customer"].invoices.first().pk,
        "point_id": home_a["point"].pk,
        "reading_id": held.pk,
        "key": key,
    }


def url_for(name: str, objects: dict) -> str:
    pattern = next(p for p in urlpatterns if getattr(p, "name", None) == name)
    kwargs = {key: objects[key] for key in pattern.pattern.converters}
    return reverse(f"portal:{name}", kwargs=kwargs)


def test_the_url_map_has_no_page_outside_these_lists():
    assert set(NAMES) == PUBLIC | set(PRIVATE)
    assert {"dashboard", "invoice", "invoice_pdf", "point", "submit_reading", "reading_photo"} <= set(PRIVATE)


@pytest.mark.parametrize("name", PRIVATE)
def test_every_private_page_sends_an_anonymous_visitor_to_the_login(client, objects_of_a, name):
    url = url_for(name, objects_of_a)

    response = client.post(url) if name == "switch_customer" else client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


@pytest.mark.parametrize("name", [n for n in PRIVATE if n not in ("switch_customer",)])
def test_every_private_page_opens_for_its_owner(client_a, objects_of_a, name):
    response = client_a.get(url_for(name, objects_of_a))

    assert response.status_code == 200, name


@pytest.mark.parametrize(
    "name", ["invoice", "invoice_pdf", "point", "submit_reading", "reading_photo", "submission_result"]
)
def test_customer_b_gets_404_for_each_object_of_customer_a(client, cast, objects_of_a, name):
    client.force_login(cast["customer_b"])
    url = url_for(name, objects_of_a)

    assert client.get(url).status_code == 404
    assert client.post(url, {"step": "confirm"}).status_code in (404, 405)


def test_customer_b_does_not_see_customer_a_payments_or_invoices_in_lists(client, cast, home_a):
    client.force_login(cast["customer_b"])
    invoice = home_a["customer"].invoices.first()

    for name in ("payments", "invoices", "dashboard"):
        page = client.get(reverse(f"portal:{name}")).content.decode()
        assert invoice.number not in page
        assert home_a["customer"].name not in page


def test_a_staff_user_without_a_customer_sees_the_account_page_not_customer_data(client, cast, objects_of_a):
    client.force_login(cast["office_clerk"])

    response = client.get(reverse("portal:invoice", args=[objects_of_a["invoice_id"]]))

    assert response.status_code == 302
    assert response.url == reverse("portal:account")


@pytest.mark.parametrize(
    "name",
    sorted(PUBLIC - {"logout", "login_code", "confirm_email", "password_reset_confirm", "unsubscribe"}),
)
def test_public_pages_open_without_login(client, company, objects_of_a, name):
    objects_of_a["topic"] = "faq"
    assert client.get(url_for(name, objects_of_a)).status_code == 200
