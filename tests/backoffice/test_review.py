"""The review queue of held readings: what the clerk sees, accepting (→ invoice), rejecting with a reason."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice
from ebok.common.actor import SYSTEM
from ebok.metering.models import MeterRole
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import (
    ReviewError,
    reading_attach_photo,
    reading_review,
    reading_submit,
    readings_submit_for_point,
)
from tests import factories


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


@pytest.fixture
def held(cast, tariff, today):
    """Customer A's reading of 900 m³ in half a year (about 53 m³ expected), held for review."""
    point = factories.make_point(cast["customer_a_record"], tariff.group, opening_date=dt.date(2024, 12, 31))
    meter = factories.make_meter(point, reading="10", serial="WM-HELD-1")
    reading = reading_submit(
        actor=SYSTEM, meter=meter, value="900", date=dt.date(2025, 6, 27), source=Source.PORTAL
    )
    assert reading.status == Status.HELD and reading.reason_code == "implausible"
    return reading


def decide(client, reading, decision: str, reason: str = ""):
    """POST the decision and follow the redirect to the queue, where its message is shown."""
    return client.post(
        url("review_decide", reading.pk), {"decision": decision, "reason": reason}, follow=True
    )


def message_levels(response) -> list[str]:
    return [m.level_tag for m in response.context["messages"]]


def test_the_queue_shows_the_held_reading_with_its_context(staff, held):
    page = staff("office_clerk").get(url("review")).content.decode()

    customer = held.meter.service_point.customer
    assert customer.code in page and customer.name in page
    assert held.meter.service_point.address in page and "WM-HELD-1" in page
    assert "900" in page and "27.06.2025" in page  # the held value and date
    assert "31.12.2024" in page  # the previous reading: the installation on the opening date
    assert "890" in page  # consumption since then (900 − 10)
    assert held.reason_params["expected"].rstrip("0").rstrip(".") in page
    assert url("review_decide", held.pk) in page
    assert "No photo" in page or "Brak zdjęcia" in page or url("reading_photo", held.pk) not in page


def test_accepting_a_held_reading_issues_the_invoice(staff, cast, held):
    response = decide(staff("office_clerk"), held, "accept")

    held.refresh_from_db()
    assert response.redirect_chain == [(url("review"), 302)]
    assert held.status == Status.ACCEPTED and held.reason_code == ""
    assert held.reason_params["held_for"] == "implausible"
    invoice = Invoice.objects.get(service_point=held.meter.service_point)
    assert invoice.period_end == held.date and invoice.issued_by == cast["office_clerk"]
    entry = AuditEntry.objects.get(action="reading.accepted_on_review")
    assert entry.object_id == str(held.pk) and entry.actor == cast["office_clerk"]
    assert entry.channel == "backoffice" and entry.customer_id == held.meter.service_point.customer_id
    assert message_levels(response) == ["success"]


def test_a_rejected_reading_is_refused_with_the_reason_for_the_customer(staff, cast, held):
    response = decide(staff("office_clerk"), held, "reject", "Na zdjęciu licznik pokazuje 090 m³.")

    held.refresh_from_db()
    assert response.redirect_chain == [(url("review"), 302)]
    assert held.status == Status.REFUSED and held.reason_code == "rejected_on_review"
    assert held.note == "Na zdjęciu licznik pokazuje 090 m³."
    assert held.reason_params["reason"] == held.note and held.reason_params["held_for"] == "implausible"
    entry = AuditEntry.objects.get(action="reading.rejected_on_review")
    assert entry.object_id == str(held.pk) and entry.data["reason"] == held.note
    assert not Invoice.objects.exists()


def test_the_customer_sees_why_the_reading_was_rejected_on_the_address_page(staff, client, cast, held):
    decide(staff("office_clerk"), held, "reject", "Na zdjęciu licznik pokazuje 090 m³.")
    client.force_login(cast["customer_a"])

    page = client.get(reverse("portal:point", args=[held.meter.service_point_id])).content.decode()

    assert "status-refused" in page
    assert "Na zdjęciu licznik pokazuje 090 m³." in page


def test_rejecting_without_a_reason_changes_nothing(staff, held):
    response = decide(staff("office_clerk"), held, "reject", "   ")

    held.refresh_from_db()
    assert held.status == Status.HELD
    assert message_levels(response) == ["error"]
    assert not AuditEntry.objects.filter(action__endswith="_on_review").exists()


def test_a_reading_is_decided_only_once(staff, cast, held):
    client = staff("office_clerk")
    decide(client, held, "accept")

    again = decide(client, held, "reject", "Pomyłka")

    held.refresh_from_db()
    assert held.status == Status.ACCEPTED
    assert message_levels(again) == ["error"]
    assert AuditEntry.objects.filter(action__endswith="_on_review").count() == 1
    with pytest.raises(ReviewError) as error:
        reading_review(actor=SYSTEM, reading=held, accept=True)
    assert error.value.code == "already_decided"


def test_an_accepted_reading_stays_accepted_when_the_invoice_cannot_be_issued(staff, held):
    held.meter.service_point.tariff_group.tariffs.all().delete()  # no prices: BillingError no_tariff

    response = decide(staff("office_clerk"), held, "accept")

    held.refresh_from_db()
    assert held.status == Status.ACCEPTED
    assert not Invoice.objects.exists()
    assert message_levels(response) == ["warning"]


@pytest.fixture
def garden_point(cast, tariff, today):
    def make(*, has_sewage: bool):
        point = factories.make_point(
            cast["customer_b_record"], tariff.group, opening_date=dt.date(2024, 12, 31), has_sewage=has_sewage
        )
        main = factories.make_meter(point, reading="100")
        garden = factories.make_meter(point, reading="5", role=MeterRole.ADDITIONAL)
        readings = readings_submit_for_point(
            actor=SYSTEM,
            service_point=point,
            date=dt.date(2025, 6, 27),
            values={main.pk: "110", garden.pk: "25"},  # the garden meter shows 20 m³, the main one 10 m³
            source=Source.PORTAL,
        )
        assert {r.status for r in readings} == {Status.HELD}
        by_meter = {r.meter_id: r for r in readings}
        return point, by_meter[main.pk], by_meter[garden.pk]

    return make


def test_accepting_one_of_the_readings_held_together_accepts_them_all_and_invoices(staff, garden_point):
    point, main, garden = garden_point(has_sewage=False)  # water only: nothing to deduct the garden from

    response = decide(staff("office_clerk"), garden, "accept")

    main.refresh_from_db()
    garden.refresh_from_db()
    assert main.status == garden.status == Status.ACCEPTED
    assert AuditEntry.objects.filter(action="reading.accepted_on_review").count() == 2
    assert Invoice.objects.get(service_point=point).period_end == main.date
    assert message_levels(response) == ["success"]


def test_the_queue_says_which_readings_are_decided_together(staff, garden_point):
    _point, main, garden = garden_point(has_sewage=False)

    page = staff("office_clerk").get(url("review")).content.decode()

    assert page.count(garden.meter.serial_number) >= 3  # its own panel and "held with" the main reading
    assert page.count(main.meter.serial_number) >= 3


def test_a_garden_meter_above_the_main_one_is_not_accepted_while_sewage_would_be_negative(
    staff, garden_point, today
):
    point, main, garden = garden_point(has_sewage=True)
    client = staff("office_clerk")

    refused = decide(client, main, "accept")
    main.refresh_from_db()
    assert main.status == Status.HELD and message_levels(refused) == ["error"]

    # The office rejects the wrong garden reading, accepts the main one, and records the right garden reading.
    decide(client, garden, "reject", "Odczyt ogrodowy pomylony z głównym")
    accepted = decide(client, main, "accept")
    main.refresh_from_db()
    assert main.status == Status.ACCEPTED
    assert message_levels(accepted) == ["warning"]  # no invoice yet: the garden meter has no reading that day
    form = client.get(f"{url('reading_new')}?point={point.pk}")
    key = form.context["form"].initial["key"]
    client.post(
        f"{url('reading_new')}?point={point.pk}",
        {
            "key": key,
            "date": "2025-06-27",
            "source": "phone",
            f"meter_{main.meter_id}": "110",
            f"meter_{garden.meter_id}": "8",
            "issue_now": "on",
        },
    )
    assert Reading.objects.filter(meter=main.meter, date=main.date).count() == 1
    invoice = Invoice.objects.get(service_point=point)
    assert invoice.period_end == main.date
    assert {(m.meter_id, m.consumption) for m in invoice.meter_readings.all()} == {
        (main.meter_id, Decimal("10.000")),
        (garden.meter_id, Decimal("3.000")),
    }


def png() -> SimpleUploadedFile:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(image, format="PNG")
    return SimpleUploadedFile("meter.png", image.getvalue(), content_type="image/png")


@pytest.fixture
def with_photo(held, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return reading_attach_photo(actor=SYSTEM, reading=held, photo=png())


def test_the_photo_is_shown_to_staff_only_through_the_staff_view(staff, client, cast, with_photo):
    photo_url = url("reading_photo", with_photo.pk)

    assert photo_url in staff("office_clerk").get(url("review")).content.decode()
    response = staff("office_clerk").get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # a JPEG
    assert "private" in response["Cache-Control"]
    client.logout()
    assert client.get(photo_url).url.startswith("/staff/login/")
    client.force_login(cast["customer_a"])  # the reading's own customer: still not through the staff view
    assert client.get(photo_url).status_code == 403


def test_a_reading_without_a_photo_has_no_photo_to_show(staff, held):
    assert staff("office_clerk").get(url("reading_photo", held.pk)).status_code == 404


@pytest.mark.parametrize(
    ("role", "sees", "decides"),
    [
        ("office_clerk", True, True),
        ("administrator", True, True),
        ("meter_reader", True, False),  # readings.view_reading but not change_reading (roles.py)
        ("auditor", True, False),
    ],
)
def test_who_may_see_the_queue_and_who_may_decide(staff, held, role, sees, decides):
    client = staff(role)

    queue = client.get(url("review"))
    response = decide(client, held, "accept")

    held.refresh_from_db()
    assert (queue.status_code == 200) == sees
    assert (url("review_decide", held.pk) in queue.content.decode()) == decides
    assert (response.status_code == 403) != decides
    assert (held.status == Status.ACCEPTED) == decides


def test_customers_and_anonymous_visitors_get_no_queue(client, cast, held):
    assert client.get(url("review")).url.startswith("/staff/login/")
    assert decide(client, held, "accept").redirect_chain[0][0].startswith("/staff/login/")
    client.force_login(cast["customer_a"])
    assert client.get(url("review")).status_code == 403
    assert decide(client, held, "accept").status_code == 403
