"""Staff decide the customers' requests to change their data: approving applies the values (only valid ones)
and audits old and new; rejecting needs a note; the customer sees the outcome in the portal."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.customers.models import ChangeRequest, ChangeRequestStatus
from ebok.customers.services import ChangeRequestDecided, change_request_create, change_request_decide


@pytest.fixture
def staff(staff_en):
    return staff_en


@pytest.fixture
def asked(cast, today):
    """Customer A asks (from the portal) for a new phone number and street."""
    return change_request_create(
        actor=Actor(user=cast["customer_a"], channel="portal"),
        customer=cast["customer_a_record"],
        changes={"phone": "600 100 200", "street": "ul. Nowa 5"},
        message="Przeprowadzka.",
    )


def decide(client, request, decision: str, note: str = ""):
    return client.post(
        f"/staff/change-requests/{request.pk}/",
        {f"cr{request.pk}-decision": decision, f"cr{request.pk}-note": note},
    )


def test_the_list_shows_the_current_value_next_to_the_requested_one(staff, asked, cast):
    response = staff("office_clerk").get("/staff/change-requests/")

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<th scope="row">Street and number</th><td>ul. Polna 1</td><td><strong>ul. Nowa 5</strong></td>'
        in page
    )
    assert "<td>–</td><td><strong>600 100 200</strong></td>" in page  # no phone yet
    assert "Przeprowadzka." in page
    assert cast["customer_a_record"].code in page
    assert f'action="/staff/change-requests/{asked.pk}/"' in page


def test_approving_applies_the_changes_and_audits_old_and_new(staff, asked, cast):
    response = decide(staff("office_clerk"), asked, "approve")

    assert response.status_code == 302
    assert response["Location"] == "/staff/change-requests/"
    customer = cast["customer_a_record"]
    customer.refresh_from_db()
    assert (customer.phone, customer.street) == ("600 100 200", "ul. Nowa 5")
    asked.refresh_from_db()
    assert asked.status == ChangeRequestStatus.APPROVED
    assert asked.decided_by == cast["office_clerk"]
    assert asked.decided_at is not None
    [changed] = AuditEntry.objects.filter(action="customer.changed")
    assert (changed.object_type, changed.object_id) == ("customers.customer", str(customer.pk))
    assert changed.data == {"phone": ["", "600 100 200"], "street": ["ul. Polna 1", "ul. Nowa 5"]}
    assert changed.actor == cast["office_clerk"]
    assert (changed.channel, changed.ip) == ("backoffice", "127.0.0.1")
    assert changed.customer_id == customer.pk
    [approved] = AuditEntry.objects.filter(action="change_request.approved")
    assert (approved.object_type, approved.object_id) == ("customers.changerequest", str(asked.pk))
    assert approved.customer_id == customer.pk
    assert (
        "Approved: the data of customer" in staff("office_clerk").get(response["Location"]).content.decode()
    )


def test_an_approved_request_leaves_the_list(staff, asked):
    client = staff("office_clerk")
    decide(client, asked, "approve")

    assert "No requests are waiting." in client.get("/staff/change-requests/").content.decode()


def test_rejecting_needs_a_note(staff, asked, cast):
    response = decide(staff("office_clerk"), asked, "reject", note="  ")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Write why the request is rejected; the customer will read it." in page
    assert 'aria-invalid="true"' in page
    asked.refresh_from_db()
    assert asked.status == ChangeRequestStatus.PENDING
    assert not AuditEntry.objects.filter(action__startswith="change_request.").exists()


def test_rejecting_with_a_note_changes_nothing_and_is_audited(staff, asked, cast):
    response = decide(staff("office_clerk"), asked, "reject", note="Proszę przynieść akt notarialny.")

    assert response.status_code == 302
    customer = cast["customer_a_record"]
    customer.refresh_from_db()
    assert customer.street == "ul. Polna 1"
    asked.refresh_from_db()
    assert asked.status == ChangeRequestStatus.REJECTED
    assert asked.decision_note == "Proszę przynieść akt notarialny."
    [rejected] = AuditEntry.objects.filter(action="change_request.rejected")
    assert rejected.object_id == str(asked.pk)
    assert rejected.data == {"note": "Proszę przynieść akt notarialny."}
    assert not AuditEntry.objects.filter(action="customer.changed").exists()


def test_the_customer_sees_the_rejection_and_its_note_in_the_portal(staff, asked, client, cast):
    decide(staff("office_clerk"), asked, "reject", note="Proszę przynieść akt notarialny.")

    client.force_login(cast["customer_a"])
    page = client.get("/panel/data/change/").content.decode()

    assert "rejected" in page
    assert "Proszę przynieść akt notarialny." in page


def test_the_customer_sees_the_approval_and_the_new_data_in_the_portal(staff, asked, client, cast):
    decide(staff("office_clerk"), asked, "approve", note="Zmienione.")

    client.force_login(cast["customer_a"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    history = client.get("/panel/data/change/").content.decode()
    dashboard = client.get("/panel/").content.decode()

    assert "approved" in history and "Zmienione." in history
    assert "ul. Nowa 5" in dashboard
    assert "is waiting for our staff" not in dashboard


def test_an_invalid_value_cant_be_approved(staff, cast, today):
    # The portal's form checks addresses; a request made another way (or an old one) may still be wrong.
    customer = cast["customer_a_record"]
    request = ChangeRequest.objects.create(
        customer=customer, changes={"email": "not-an-address", "phone": "600100200"}, created_at=clock.now()
    )

    response = decide(staff("office_clerk"), request, "approve")

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "The change can&#x27;t be applied, nothing was changed: E-mail: Enter a valid email address." in page
    )
    customer.refresh_from_db()
    assert (customer.email, customer.phone) == ("", "")
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.PENDING
    assert not AuditEntry.objects.filter(action__in=["customer.changed", "change_request.approved"]).exists()


def test_the_service_refuses_an_invalid_value_and_changes_nothing(cast, today):
    customer = cast["customer_a_record"]
    request = ChangeRequest.objects.create(
        customer=customer, changes={"email": "zły adres"}, created_at=clock.now()
    )

    with pytest.raises(ValidationError) as error:
        change_request_decide(
            actor=Actor(user=cast["office_clerk"], channel="backoffice"), request=request, approve=True
        )

    assert "email" in error.value.message_dict
    customer.refresh_from_db()
    assert customer.email == ""


def test_an_email_address_is_stored_in_lower_case(cast, today):
    customer = cast["customer_a_record"]
    request = ChangeRequest.objects.create(
        customer=customer, changes={"email": " Anna@Example.ORG "}, created_at=clock.now()
    )

    change_request_decide(
        actor=Actor(user=cast["office_clerk"], channel="backoffice"), request=request, approve=True
    )

    customer.refresh_from_db()
    assert customer.email == "anna@example.org"


def test_deciding_an_already_decided_request_is_a_clear_error(asked, cast):
    actor = Actor(user=cast["office_clerk"], channel="backoffice")
    change_request_decide(actor=actor, request=asked, approve=False, note="Nie.")

    with pytest.raises(ChangeRequestDecided, match="already rejected"):
        change_request_decide(actor=actor, request=asked, approve=True)

    asked.refresh_from_db()
    assert asked.status == ChangeRequestStatus.REJECTED
    assert AuditEntry.objects.filter(action__startswith="change_request.").count() == 1


def test_a_second_decision_through_the_ui_says_it_was_already_decided(staff, asked, cast):
    client = staff("office_clerk")
    decide(client, asked, "approve")

    response = decide(client, asked, "reject", note="Jednak nie.")

    assert response.status_code == 302
    assert "was already decided" in client.get(response["Location"]).content.decode()
    asked.refresh_from_db()
    assert asked.status == ChangeRequestStatus.APPROVED


def test_a_second_decision_without_a_note_also_says_it_was_already_decided(staff, asked):
    client = staff("office_clerk")
    decide(client, asked, "approve")

    response = decide(client, asked, "reject")

    assert response.status_code == 302
    assert "was already decided" in client.get(response["Location"]).content.decode()


def test_the_service_refuses_a_rejection_without_a_note(asked, cast):
    with pytest.raises(ValueError, match="note"):
        change_request_decide(
            actor=Actor(user=cast["office_clerk"], channel="backoffice"), request=asked, approve=False
        )


def test_a_request_with_only_a_message_can_be_approved(staff, cast, today):
    request = change_request_create(
        actor=portal_actor_for(cast), customer=cast["customer_a_record"], changes={}, message="4 osoby."
    )

    assert decide(staff("office_clerk"), request, "approve", note="Dziękujemy.").status_code == 302

    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.APPROVED
    assert not AuditEntry.objects.filter(action="customer.changed").exists()
    assert AuditEntry.objects.filter(action="change_request.approved", object_id=str(request.pk)).exists()


def portal_actor_for(cast) -> Actor:
    return Actor(user=cast["customer_a"], channel="portal")


# --- who may do it -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office_clerk", 200),
        ("administrator", 200),
        ("auditor", 200),
        ("meter_reader", 403),
        ("customer_a", 403),
    ],
)
def test_who_may_see_the_change_requests(staff, asked, role, status):
    assert staff(role).get("/staff/change-requests/").status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office_clerk", 302),
        ("administrator", 302),
        ("auditor", 403),
        ("meter_reader", 403),
        ("customer_a", 403),
    ],
)
def test_who_may_decide(staff, asked, role, status):
    assert decide(staff(role), asked, "approve").status_code == status

    asked.refresh_from_db()
    assert (asked.status == ChangeRequestStatus.APPROVED) == (status == 302)


def test_the_auditor_sees_the_requests_without_the_decision_buttons(staff, asked):
    page = staff("auditor").get("/staff/change-requests/").content.decode()

    assert "ul. Nowa 5" in page
    assert f"change-requests/{asked.pk}/" not in page
    assert "Approve" not in page


def test_anonymous_people_are_sent_to_the_staff_login(client, asked):
    for response in [client.get("/staff/change-requests/"), decide(client, asked, "approve")]:
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/?next=")
    asked.refresh_from_db()
    assert asked.status == ChangeRequestStatus.PENDING
