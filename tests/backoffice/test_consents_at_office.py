"""A clerk records on the customer's page the consents a customer gave or withdrew at the office or on a signed
paper form (with where that form is kept): only the changes are recorded, each audited with the clerk's name."""

from __future__ import annotations

import pytest

from ebok.audit.models import AuditEntry
from ebok.common.actor import Actor
from ebok.notifications.models import ConsentEvent
from ebok.notifications.selectors import MEDIA, current_consents
from ebok.notifications.services import consents_set


@pytest.fixture
def staff(staff_en):
    return staff_en


@pytest.fixture
def anna(cast, today):
    """Customer A, who once asked in the portal for invoice notices by e-mail."""
    customer = cast["customer_a_record"]
    consents_set(
        actor=Actor(user=cast["customer_a"], channel="portal"),
        customer=customer,
        wanted={("invoice_issued", "email"): True},
        channel="portal",
    )
    return customer


def record_url(customer) -> str:
    return f"/staff/customers/{customer.code}/consents/record/"


def post(client, customer, ticked: list[str], **fields):
    data = {"channel": "office", "document": "", **dict.fromkeys(ticked, "on"), **fields}
    return client.post(record_url(customer), data)


def test_the_customer_page_has_the_form_ticked_as_the_consents_are_now(staff, anna):
    response = staff("office_clerk").get(f"/staff/customers/{anna.code}/")

    form = response.context["consent_form"]
    page = response.content.decode()
    assert "Record consents given at the office or on a paper form" in page
    assert f'action="{record_url(anna)}"' in page
    assert len([name for name in form.fields if "__" in name]) == sum(len(media) for media in MEDIA.values())
    assert form["invoice_issued__email"].value() is True
    assert form["invoice_issued__sms"].value() is False
    assert form["e_invoice__email"].value() is False


def test_the_auditor_sees_the_consents_but_not_the_form(staff, anna):
    response = staff("auditor").get(f"/staff/customers/{anna.code}/")

    assert response.context["consent_form"] is None
    assert record_url(anna) not in response.content.decode()


def test_a_clerk_records_consents_given_at_the_office_and_each_is_audited(staff, anna, cast):
    client = staff("office_clerk")

    response = post(client, anna, ["invoice_issued__email", "e_invoice__email", "outage__sms"])

    assert response.status_code == 302
    assert response["Location"] == f"/staff/customers/{anna.code}/#consents-h"
    state = current_consents(anna)
    assert state[("e_invoice", "email")] is True
    assert state[("outage", "sms")] is True
    new = ConsentEvent.objects.filter(channel="office").order_by("kind")
    assert [(e.kind, e.medium, e.given, e.by, e.document) for e in new] == [
        ("e_invoice", "email", True, cast["office_clerk"], ""),
        ("outage", "sms", True, cast["office_clerk"], ""),
    ]
    entries = AuditEntry.objects.filter(action="consent.given", channel="backoffice").order_by("id")
    assert [(e.actor, e.customer_id, e.data["kind"], e.data["channel"]) for e in entries] == [
        (cast["office_clerk"], anna.pk, "e_invoice", "office"),
        (cast["office_clerk"], anna.pk, "outage", "office"),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Consents of customer" in page
    assert "Invoices sent electronically (art. 106n of the VAT act) – e-mail: given" in page
    assert "Water outages and planned works – SMS: given" in page


def test_unticking_a_box_withdraws_the_consent(staff, anna, cast):
    client = staff("office_clerk")

    post(client, anna, [])

    assert current_consents(anna)[("invoice_issued", "email")] is False
    [entry] = AuditEntry.objects.filter(action="consent.withdrawn")
    assert entry.actor == cast["office_clerk"]
    page = client.get(f"/staff/customers/{anna.code}/").content.decode()
    assert "A new invoice – e-mail: withdrawn" in page


def test_sending_the_same_consents_again_records_nothing_and_says_so(staff, anna):
    client = staff("office_clerk")

    response = post(client, anna, ["invoice_issued__email"])

    assert response.status_code == 302
    assert ConsentEvent.objects.count() == 1  # the portal's
    assert "Nothing changed" in client.get(response["Location"]).content.decode()


def test_a_paper_form_records_where_the_signed_form_is_kept(staff, anna):
    post(
        staff("office_clerk"),
        anna,
        ["invoice_issued__email", "marketing__email"],
        channel="paper",
        document=" Skan 2025/117 ",
    )

    event = ConsentEvent.objects.get(kind="marketing")
    assert (event.channel, event.document, event.given) == ("paper", "Skan 2025/117", True)
    entry = AuditEntry.objects.get(action="consent.given", channel="backoffice")
    assert entry.data["document"] == "Skan 2025/117"


def test_a_paper_form_without_the_document_reference_is_refused(staff, anna):
    response = post(staff("office_clerk"), anna, ["marketing__email"], channel="paper", document="  ")

    assert response.status_code == 400
    assert "Write where the signed paper form is kept" in response.context["form"].errors["document"][0]
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert "<h1>Record consents given at the office or on a paper form" in page
    assert "checked" in page  # the clerk's ticks are kept
    assert ConsentEvent.objects.count() == 1


def test_a_document_typed_for_a_consent_given_at_the_office_is_not_kept(staff, anna):
    post(staff("office_clerk"), anna, ["invoice_issued__email", "marketing__sms"], document="nic")

    assert ConsentEvent.objects.get(kind="marketing").document == ""


@pytest.mark.parametrize("channel", ["portal", "import", "link", ""])
def test_staff_record_only_office_or_paper_consents(staff, anna, channel):
    response = post(staff("office_clerk"), anna, ["marketing__sms"], channel=channel)

    assert response.status_code == 400
    assert "channel" in response.context["form"].errors
    assert ConsentEvent.objects.count() == 1


def test_the_form_page_opens_on_its_own(staff, anna):
    response = staff("administrator").get(record_url(anna))

    assert response.status_code == 200
    assert response.context["form"]["invoice_issued__email"].value() is True


@pytest.mark.parametrize("role", ["auditor", "meter_reader", "customer_a"])
def test_only_staff_who_may_record_consents_can(staff, anna, role):
    response = post(staff(role), anna, ["marketing__email"])

    assert response.status_code == 403
    assert ConsentEvent.objects.count() == 1


def test_an_unknown_customer_is_404(staff, cast):
    assert staff("office_clerk").post("/staff/customers/999999/consents/record/", {}).status_code == 404
