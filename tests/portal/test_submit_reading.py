"""Submitting a reading in EBOK: preview, confirm, the invoice at once; held and refused readings."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice
from ebok.readings.models import Reading, Status


@pytest.fixture
def point(home_a):
    return home_a["point"]


def field(home_a) -> str:
    return f"meter_{home_a['meter'].pk}"


def submit_url(point) -> str:
    return reverse("portal:submit_reading", args=[point.pk])


def preview(client, home_a, value: str):
    return client.post(submit_url(home_a["point"]), {"step": "preview", field(home_a): value})


def confirm(client, home_a, value: str, key: str):
    return client.post(submit_url(home_a["point"]), {"step": "confirm", "key": key, field(home_a): value})


def key_in(response) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def test_the_form_shows_every_meter_with_its_previous_reading(client_a, home_a):
    page = client_a.get(submit_url(home_a["point"])).content.decode()

    assert home_a["meter"].serial_number in page
    assert 'name="meter_' in page
    assert "118" in page  # the last reading: 100 + 2 × 30 days × 0.3 m³


def test_the_preview_shows_consumption_and_amount_and_stores_nothing(client_a, home_a):
    readings, invoices = Reading.objects.count(), Invoice.objects.count()

    response = preview(client_a, home_a, "121")

    page = response.content.decode()
    assert response.status_code == 200
    assert "3 m³" in page  # 121 − 118
    assert 'name="step" value="confirm"' in page
    assert re.search(r"<strong>\d+,\d\d zł</strong>", page)  # the total to pay
    assert (Reading.objects.count(), Invoice.objects.count()) == (readings, invoices)
    assert not AuditEntry.objects.filter(action__startswith="reading.", data__value="121.000").exists()


def test_confirming_issues_the_invoice_at_once_and_offers_the_pdf(client_a, home_a):
    key = key_in(preview(client_a, home_a, "121"))

    response = confirm(client_a, home_a, "121", key)

    assert response.status_code == 302
    result = client_a.get(response.url)
    invoice = Invoice.objects.filter(service_point=home_a["point"]).latest("id")
    page = result.content.decode()
    assert invoice.number in page
    assert reverse("portal:invoice_pdf", args=[invoice.pk]) in page
    pdf = client_a.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_sending_the_confirmation_twice_stores_one_reading_and_one_invoice(client_a, home_a):
    key = key_in(preview(client_a, home_a, "121"))
    readings, invoices = Reading.objects.count(), Invoice.objects.count()

    first = confirm(client_a, home_a, "121", key)
    second = confirm(client_a, home_a, "121", key)

    assert first.url == second.url
    assert (Reading.objects.count(), Invoice.objects.count()) == (readings + 1, invoices + 1)


def test_the_balance_on_the_dashboard_grows_by_the_new_invoice(client_a, home_a):
    from ebok.payments.selectors import balance_for_customer

    before = balance_for_customer(home_a["customer"])
    confirm(client_a, home_a, "121", key_in(preview(client_a, home_a, "121")))

    invoice = Invoice.objects.filter(service_point=home_a["point"]).latest("id")
    assert balance_for_customer(home_a["customer"]) == before + invoice.total_gross
    page = client_a.get(reverse("portal:dashboard")).content.decode()
    assert f"{before + invoice.total_gross:.2f}".replace(".", ",") in page.replace("\xa0", "")


def test_a_reading_lower_than_the_previous_is_refused_with_the_reason_and_the_typed_value_kept(
    client_a, home_a
):
    readings = Reading.objects.count()

    response = preview(client_a, home_a, "117")

    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="117"' in page
    assert "118" in page  # the previous reading is named in the reason
    assert 'aria-invalid="true"' in page
    assert Reading.objects.count() == readings


@pytest.mark.parametrize("typed", ["abc", "-5", "1,2345", ""])
def test_input_that_is_not_a_reading_is_explained_and_kept(client_a, home_a, typed):
    response = preview(client_a, home_a, typed)

    assert response.status_code == 400
    assert f'value="{typed}"' in response.content.decode()
    assert 'class="error"' in response.content.decode()


def test_an_implausible_reading_is_held_and_takes_a_photo_of_the_meter(client_a, home_a):
    response = preview(client_a, home_a, "900")
    key = key_in(response)
    assert "much more than usual" in response.content.decode() or "niż zwykle" in response.content.decode()

    result = client_a.get(confirm(client_a, home_a, "900", key).url)

    reading = Reading.objects.get(idempotency_key__startswith=key)
    assert reading.status == Status.HELD
    assert not Invoice.objects.filter(service_point=home_a["point"], period_end=reading.date).exists()
    assert reverse("portal:reading_photo", args=[reading.pk]) in result.content.decode()
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(image, format="PNG")
    image.seek(0)
    image.name = "meter.png"
    response = client_a.post(reverse("portal:reading_photo", args=[reading.pk]), {"photo": image})
    assert response.status_code == 302
    reading.refresh_from_db()
    assert reading.photo.name.endswith(".jpg") and "meter" not in reading.photo.name
    assert AuditEntry.objects.filter(action="reading.photo_attached", object_id=str(reading.pk)).exists()


def test_a_file_that_is_not_a_photo_is_refused_with_a_clear_error(client_a, home_a):
    key = key_in(preview(client_a, home_a, "900"))
    confirm(client_a, home_a, "900", key)
    reading = Reading.objects.get(idempotency_key__startswith=key)
    fake = io.BytesIO(b"<?php echo 'hi'; ?>")
    fake.name = "meter.jpg"

    response = client_a.post(reverse("portal:reading_photo", args=[reading.pk]), {"photo": fake})

    assert response.status_code == 400
    reading.refresh_from_db()
    assert not reading.photo
