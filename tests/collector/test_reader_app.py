"""The meter reader's app: only the assigned routes, only what reading needs, idempotent sync, invoices."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from ebok.billing.models import Invoice
from ebok.metering.routes import route_progress, window_of
from ebok.readings.models import NoAccess, Reading, Source
from tests.collector.conftest import make_route


@pytest.fixture
def route(cast, tariff, today):
    return make_route(tariff.group, cast["meter_reader"], day=today)


@pytest.fixture
def reader(client, cast):
    client.force_login(cast["meter_reader"])
    return client


def sync(client, items):
    response = client.post(
        reverse("collector:sync"), json.dumps({"items": items}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def reading(point, meter, value, day, **extra):
    return {
        "key": uuid.uuid4().hex,
        "kind": "reading",
        "point": point.pk,
        "date": day.isoformat(),
        "values": {str(meter.pk): value},
        **extra,
    }


def test_the_route_sheet_lists_the_points_in_order_with_meters_and_expected_range(reader, route):
    data = reader.get(reverse("collector:route")).json()

    [sheet] = data["routes"]
    assert [p["address"].split(",")[0] for p in sheet["points"]] == [
        "ul. Leśna 1",
        "ul. Leśna 2",
        "ul. Leśna 3",
    ]
    first = sheet["points"][0]
    assert first["meters"][0]["previous_value"] == "100"
    assert float(first["meters"][0]["expected_high"]) > 100
    assert sheet["points"][1]["notes"] == "Pies w ogrodzie"


def test_the_sheet_carries_nothing_of_the_customer_beyond_name_and_address(reader, route):
    text = reader.get(reverse("collector:route")).content.decode()

    customer = route[1][0][0].customer
    for private in (customer.email, customer.bank_account, customer.code):
        assert private not in text


def test_a_reader_sees_only_the_routes_assigned_to_him(client, cast, tariff, today, route):
    from django.contrib.auth.models import Group

    from ebok.accounts.models import User

    other = User.objects.create_user(username="inkasent2", password="x" * 12, is_staff=True)
    other.groups.add(Group.objects.get(name="meter_reader"))
    make_route(tariff.group, other, day=today, code="R2")
    client.force_login(other)

    data = client.get(reverse("collector:route")).json()

    assert [r["code"] for r in data["routes"]] == ["R2"]
    point, meter = route[1][0]
    [result] = sync(client, [reading(point, meter, "130", today)])
    assert result["ok"] is False
    assert not Reading.objects.filter(meter=meter, date=today).exists()


def test_synced_readings_are_invoiced_and_a_repeated_sync_changes_nothing(reader, route, today):
    items = [reading(point, meter, "130", today) for point, meter in route[1]]

    first = sync(reader, items)
    again = sync(reader, items)

    assert [r["readings"][0]["status"] for r in first] == ["accepted"] * 3
    assert [r["invoice"]["number"] for r in first] == [r["invoice"]["number"] for r in again]
    assert Reading.objects.filter(date=today, source=Source.READER).count() == 3
    assert Invoice.objects.filter(period_end=today).count() == 3


def test_the_receipt_and_the_qr_code_of_an_invoice_issued_on_the_route(reader, route, today):
    point, meter = route[1][0]
    [result] = sync(reader, [reading(point, meter, "130", today)])

    receipt = reader.get(result["invoice"]["receipt"])
    qr = reader.get(result["invoice"]["qr"])

    assert receipt["Content-Type"] == "application/pdf" and receipt.content.startswith(b"%PDF")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_a_reading_made_when_the_customer_already_reported_follows_the_server_rules(reader, route, today):
    from ebok.common.actor import SYSTEM
    from ebok.readings.services import reading_submit

    point, meter = route[1][0]
    reading_submit(actor=SYSTEM, meter=meter, value="140", date=today, source=Source.PORTAL)

    [result] = sync(reader, [reading(point, meter, "130", today)])

    assert result["readings"][0]["status"] == "refused"
    assert "140" in result["readings"][0]["message"]


def test_no_access_is_recorded_once_and_shown_in_the_progress(reader, route, today, company):
    point, _meter = route[1][1]
    item = {
        "key": uuid.uuid4().hex,
        "kind": "no_access",
        "point": point.pk,
        "date": today.isoformat(),
        "reason": "dog",
        "note": "Pies luzem",
    }

    sync(reader, [item])
    sync(reader, [item])

    assert NoAccess.objects.get().reason == "dog"
    assert route_progress([point], window_of(today, company)) == {point.pk: "no_access"}


def test_without_the_invoice_option_only_the_reading_is_stored(reader, route, today):
    point, meter = route[1][0]

    [result] = sync(reader, [reading(point, meter, "130", today, invoice=False)])

    assert result["invoice"] is None
    assert not Invoice.objects.filter(service_point=point, period_end=today).exists()


def test_bad_items_are_answered_one_by_one_without_stopping_the_rest(reader, route, today):
    point, meter = route[1][0]
    good = reading(point, meter, "130", today)

    results = sync(reader, [{"kind": "reading"}, reading(point, meter, "abc", today), good])

    assert [r["ok"] for r in results] == [False, False, True]


def test_a_customer_and_the_anonymous_get_nothing(client, cast, route):
    assert client.get(reverse("collector:route")).status_code == 401
    assert client.get(reverse("collector:app")).status_code == 302
    client.force_login(cast["customer_a"])
    assert client.get(reverse("collector:route")).status_code == 403
    assert client.post(reverse("collector:sync"), "{}", content_type="application/json").status_code == 403


def test_the_app_page_links_the_manifest_and_the_service_worker_is_served(reader, route):
    page = reader.get(reverse("collector:app")).content.decode()
    sw = reader.get(reverse("collector:sw"))
    manifest = reader.get(reverse("collector:manifest")).json()

    assert reverse("collector:manifest") in page
    assert sw["Content-Type"] == "application/javascript" and b"caches.open" in sw.content
    assert manifest["start_url"] == reverse("collector:app") and manifest["display"] == "standalone"


def test_a_photo_taken_with_the_reading_is_kept_re_encoded_once(reader, route, today):
    import base64
    import io

    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, format="PNG")
    photo = "data:image/png;base64," + base64.b64encode(image.getvalue()).decode()
    point, meter = route[1][0]
    item = reading(point, meter, "130", today, photo=photo)

    sync(reader, [item])
    sync(reader, [item])

    stored = Reading.objects.get(meter=meter, date=today)
    assert stored.photo.name.endswith(".jpg")
    from ebok.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="reading.photo_attached", object_id=str(stored.pk)).count() == 1


def test_a_file_that_is_not_an_image_keeps_the_reading_and_says_so(reader, route, today):
    point, meter = route[1][0]

    [result] = sync(
        reader, [reading(point, meter, "130", today, photo="data:image/png;base64,bm90IGFuIGltYWdl")]
    )

    assert result["ok"] is False and "photo" in result["error"].lower() or "zdj" in result["error"].lower()
    assert Reading.objects.filter(meter=meter, date=today).exists()
