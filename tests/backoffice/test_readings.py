"""Readings reported by phone, e-mail or at the office: finding the address, the form, the invoice at once."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice
from ebok.common.actor import SYSTEM
from ebok.metering.models import MeterRole
from ebok.readings.messages import reason_message
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import reading_submit
from tests import factories


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def form_url(point) -> str:
    return f"{url('reading_new')}?point={point.pk}"


def key_in(response) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


@pytest.fixture
def home(cast, tariff, today):
    """Customer A's address with one meter read at 100 m³ on 31 March."""
    point = factories.make_point(cast["customer_a_record"], tariff.group, opening_date=dt.date(2024, 12, 31))
    meter = factories.make_meter(point, reading="40", serial="WM-PHONE-1")
    reading_submit(actor=SYSTEM, meter=meter, value="100", date=dt.date(2025, 3, 31), source=Source.READER)
    return {"point": point, "meter": meter}


def post_reading(client, home, value: str, *, key: str, issue_now: bool = True, **extra):
    data = {
        "key": key,
        "date": extra.pop("date", "2025-06-30"),
        "source": extra.pop("source", "phone"),
        "note": extra.pop("note", ""),
        f"meter_{home['meter'].pk}": value,
        **extra,
    }
    if issue_now:
        data["issue_now"] = "on"
    return client.post(form_url(home["point"]), data)


def test_the_address_is_found_by_customer_code_and_by_meter_number(staff, cast, home, tariff):
    second = factories.make_point(cast["customer_a_record"], tariff.group, street="ul. Ogrodowa 5")
    factories.make_meter(second)
    client = staff("office_clerk")

    by_code = client.get(url("reading_new"), {"q": cast["customer_a_record"].code})
    by_serial = client.get(url("reading_new"), {"q": " wm-phone-1 "})
    nothing = client.get(url("reading_new"), {"q": "000000"})

    page = by_code.content.decode()
    assert "ul. Polna 1" in page and "ul. Ogrodowa 5" in page
    assert f"?point={home['point'].pk}" in page and f"?point={second.pk}" in page
    assert by_serial.status_code == 302 and by_serial.url == form_url(home["point"])
    assert nothing.status_code == 200 and "?point=" not in nothing.content.decode()


def test_the_form_has_every_meter_in_use_with_its_previous_reading_and_today_as_the_date(staff, home):
    garden = factories.make_meter(home["point"], role=MeterRole.ADDITIONAL, reading="3")

    page = staff("office_clerk").get(form_url(home["point"])).content.decode()

    assert f'name="meter_{home["meter"].pk}"' in page and f'name="meter_{garden.pk}"' in page
    assert 'value="2025-06-30"' in page
    assert 'name="issue_now"' in page and "checked" in page
    assert "31.03.2025" in page  # the previous reading's date in the meter's help
    assert re.search(r'name="key" value="[0-9a-f]{32}"', page)


def test_a_phone_reading_with_issue_now_is_stored_and_invoiced_at_once(staff, cast, home, today):
    client = staff("office_clerk")
    key = key_in(client.get(form_url(home["point"])))

    response = post_reading(client, home, "112", key=key, note="Klient podał odczyt telefonicznie")

    reading = Reading.objects.get(meter=home["meter"], date=today)
    assert response.status_code == 302 and response.url == url("reading_result", key)
    assert reading.status == Status.ACCEPTED and reading.value == Decimal("112")
    assert reading.source == Source.PHONE and reading.entered_by == cast["office_clerk"]
    assert reading.note == "Klient podał odczyt telefonicznie"
    invoice = Invoice.objects.get(service_point=home["point"], period_end=today)
    assert invoice.issued_by == cast["office_clerk"] and invoice.channel == "backoffice"
    actions = set(
        AuditEntry.objects.filter(actor=cast["office_clerk"], channel="backoffice").values_list(
            "action", flat=True
        )
    )
    assert {"reading.accepted", "reading.note_set", "invoice.issued"} <= actions
    assert AuditEntry.objects.filter(
        action="reading.accepted", object_type="readings.reading", object_id=str(reading.pk)
    ).exists()
    result = client.get(response.url).content.decode()
    assert invoice.number in result and url("invoice", invoice.pk) in result


def test_sending_the_same_form_twice_stores_one_reading_and_one_invoice(staff, cast, home, today):
    client = staff("office_clerk")
    entries = AuditEntry.objects.filter(actor=cast["office_clerk"])
    key = key_in(client.get(form_url(home["point"])))

    first = post_reading(client, home, "112", key=key, note="x")
    second = post_reading(client, home, "112", key=key, note="x")

    assert first.url == second.url
    assert Reading.objects.filter(meter=home["meter"], date=today).count() == 1
    assert Invoice.objects.filter(service_point=home["point"]).count() == 1
    assert entries.filter(action="reading.accepted").count() == 1
    assert entries.filter(action="invoice.issued").count() == 1
    assert entries.filter(action="reading.note_set").count() == 1


def test_without_issue_now_the_reading_is_stored_and_the_invoice_waits_for_billing(staff, home, today):
    client = staff("office_clerk")
    key = key_in(client.get(form_url(home["point"])))

    response = post_reading(client, home, "112", key=key, issue_now=False, source="email")

    reading = Reading.objects.get(meter=home["meter"], date=today)
    assert reading.status == Status.ACCEPTED and reading.source == Source.EMAIL
    assert not Invoice.objects.filter(service_point=home["point"]).exists()
    result = client.get(response.url).content.decode()
    assert url("point_invoice", home["point"].pk) in result  # "issue it now" from the outcome page


def test_a_reading_from_an_earlier_day_is_accepted_but_not_a_future_one(staff, home, today):
    client = staff("office_clerk")

    future = post_reading(
        client, home, "112", key=key_in(client.get(form_url(home["point"]))), date="2025-07-01"
    )
    earlier = post_reading(
        client, home, "110", key=key_in(client.get(form_url(home["point"]))), date="2025-06-20"
    )

    assert future.status_code == 400
    assert earlier.status_code == 302
    assert Reading.objects.get(meter=home["meter"], date=dt.date(2025, 6, 20)).value == Decimal("110")
    assert Invoice.objects.get(service_point=home["point"]).period_end == dt.date(2025, 6, 20)


def test_a_refused_reading_says_why_and_keeps_the_typed_value(staff, home, today):
    client = staff("office_clerk")
    key = key_in(client.get(form_url(home["point"])))

    response = post_reading(client, home, "95", key=key)

    page = response.content.decode()
    refused = Reading.objects.get(meter=home["meter"], date=today)
    assert response.status_code == 400
    assert refused.status == Status.REFUSED and refused.reason_code == "lower_than_previous"
    assert 'value="95"' in page
    with translation.override("pl"):
        assert reason_message(refused.reason_code, refused.reason_params) in page
    assert key_in(response) != key  # the corrected form is a new submission
    assert not Invoice.objects.exists()


def test_the_corrected_form_after_a_refusal_is_stored_and_invoiced(staff, home, today):
    client = staff("office_clerk")
    refused = post_reading(client, home, "95", key=key_in(client.get(form_url(home["point"]))))

    response = post_reading(client, home, "105", key=key_in(refused))

    assert response.status_code == 302
    assert Reading.objects.get(meter=home["meter"], date=today, status=Status.ACCEPTED).value == Decimal(
        "105"
    )
    assert Invoice.objects.filter(service_point=home["point"]).count() == 1


def test_input_that_is_not_a_reading_stores_nothing(staff, home):
    client = staff("office_clerk")

    response = post_reading(client, home, "abc", key=key_in(client.get(form_url(home["point"]))))

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Reading.objects.filter(source=Source.PHONE).exists()


def test_an_implausible_reading_is_held_and_the_outcome_says_so(staff, home, today):
    client = staff("office_clerk")

    response = post_reading(client, home, "9000", key=key_in(client.get(form_url(home["point"]))))

    reading = Reading.objects.get(meter=home["meter"], date=today)
    assert reading.status == Status.HELD
    result = client.get(response.url).content.decode()
    assert "status-held" in result and url("review") in result
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("office_clerk", True), ("meter_reader", True), ("administrator", True), ("auditor", False)],
)
def test_who_may_record_a_reading(staff, home, role, allowed):
    client = staff(role)

    page = client.get(form_url(home["point"]))
    search = client.get(url("reading_new"), {"q": "WM-PHONE-1"})
    post = post_reading(client, home, "112", key="0" * 32)

    assert (page.status_code == 200) == allowed and (page.status_code == 403) != allowed
    assert (search.status_code == 302) == allowed
    assert (post.status_code == 302) == allowed and (post.status_code == 403) != allowed
    assert Reading.objects.filter(source=Source.PHONE).exists() == allowed


def test_customers_and_anonymous_visitors_cannot_record_readings(client, cast, home):
    assert client.get(url("reading_new")).url.startswith("/staff/login/")
    client.force_login(cast["customer_a"])
    assert client.get(url("reading_new")).status_code == 403
    assert post_reading(client, home, "112", key="0" * 32).status_code == 403
    assert not Reading.objects.filter(source=Source.PHONE).exists()
