"""A customer asks to correct their data: only what really changed is kept, audited, and staff decide."""

from __future__ import annotations

import pytest
from django.conf import settings

from ebok.audit.models import AuditEntry
from ebok.customers.models import CHANGEABLE_FIELDS, ChangeRequest, ChangeRequestStatus

WAITING = "Your request to change these data is waiting for our staff."


@pytest.fixture
def client_a(client_a, today):
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client_a


def as_shown(customer, **changes) -> dict:
    """The form as the browser sends it: the current data, with the person's edits."""
    data = {field: getattr(customer, field) or "" for field in CHANGEABLE_FIELDS}
    data["message"] = ""
    data.update(changes)
    return data


def test_a_new_phone_number_becomes_a_request_with_only_that_field(client_a, cast):
    customer = cast["customer_a_record"]

    response = client_a.post("/panel/data/change/", as_shown(customer, phone=" 600 100 200 "))

    assert response["Location"] == "/panel/"
    [request] = ChangeRequest.objects.all()
    assert request.customer == customer
    assert request.changes == {"phone": "600 100 200"}
    assert request.status == ChangeRequestStatus.PENDING
    assert request.requested_by == cast["customer_a"]
    [entry] = AuditEntry.objects.filter(action="customer.change_requested")
    assert entry.customer_id == customer.pk
    assert entry.actor == cast["customer_a"]
    assert entry.channel == "portal"
    assert entry.data["changes"] == {"phone": "600 100 200"}
    customer.refresh_from_db()
    assert customer.phone != "600 100 200"  # staff apply it after checking


def test_the_dashboard_says_that_a_change_is_waiting(client_a, cast):
    assert WAITING not in client_a.get("/panel/").content.decode()

    response = client_a.post("/panel/data/change/", as_shown(cast["customer_a_record"], phone="600100200"))

    assert WAITING in client_a.get(response["Location"]).content.decode()


def test_a_message_alone_is_a_request(client_a, cast):
    client_a.post(
        "/panel/data/change/", as_shown(cast["customer_a_record"], message="Mieszkają z nami 4 osoby.")
    )

    [request] = ChangeRequest.objects.all()
    assert request.changes == {}
    assert request.message == "Mieszkają z nami 4 osoby."


def test_nothing_changed_and_no_message_is_a_form_error(client_a, cast):
    response = client_a.post("/panel/data/change/", as_shown(cast["customer_a_record"]))

    assert response.status_code == 200
    assert [str(e) for e in response.context["form"].non_field_errors()] == [
        "Change at least one field or write a message."
    ]
    assert not ChangeRequest.objects.exists()


def test_an_invalid_postal_code_is_a_field_error(client_a, cast):
    response = client_a.post("/panel/data/change/", as_shown(cast["customer_a_record"], postal_code="26065"))

    assert response.status_code == 200
    assert response.context["form"].errors["postal_code"] == ["Write the postal code as 00-000."]
    assert "Write the postal code as 00-000." in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_another_customers_dashboard_does_not_show_the_request(client_a, cast):
    client_a.post("/panel/data/change/", as_shown(cast["customer_a_record"], city="Kielce"))
    client_a.logout()

    client_a.force_login(cast["customer_b"])

    assert WAITING not in client_a.get("/panel/").content.decode()
    assert not cast["customer_b_record"].change_requests.exists()
