"""axe-core (WCAG 2.1 A/AA) finds nothing on the staff's pages for readings, the review queue, meters and
tariffs — with and without form errors, and after each kind of outcome — in Polish and English."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ebok.accounts.models import Role, User
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import reading_attach_photo
from tests import factories
from tests.browser.helpers import PASSWORD, axe_violations, format_violations, log_in, submit
from tests.factories import make_history


def staff_user(username: str, role: Role) -> User:
    user = User.objects.create_user(username=username, email=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def office(company, settings, tmp_path):
    """A customer with a history and a held reading with a photo; a second address with a garden meter;
    meters whose verification expires; a clerk and an administrator who log in with a password."""
    settings.MEDIA_ROOT = tmp_path
    today = dt.date.today()
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    customer = factories.make_customer(name="Anna Nowak", email="anna@example.org")
    point, meter = make_history(customer, group, invoices=3, today=today - dt.timedelta(days=10))
    held = Reading.objects.create(
        meter=meter,
        date=today - dt.timedelta(days=1),
        value=meter.readings.latest("date").value + 500,
        source=Source.PORTAL,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "500", "days": 9, "expected": "3"},
        created_at=clock.now(),
    )
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(image, format="PNG")
    reading_attach_photo(
        actor=SYSTEM,
        reading=held,
        photo=SimpleUploadedFile("m.png", image.getvalue(), content_type="image/png"),
    )
    garden_point = factories.make_point(
        customer, group, street="ul. Ogrodowa 5", opening_date=today - dt.timedelta(days=60)
    )
    factories.make_meter(garden_point, reading="10", verification_expires_on=today - dt.timedelta(days=3))
    factories.make_meter(
        garden_point, reading="2", role="additional", verification_expires_on=today + dt.timedelta(days=40)
    )
    staff_user("clerk@example.org", Role.CLERK)
    staff_user("admin@example.org", Role.ADMIN)
    return {"customer": customer, "point": point, "meter": meter, "garden_point": garden_point}


@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_staff_reading_meter_or_tariff_page_has_accessibility_violations(make_page, office, language):
    page = make_page(viewport="desktop", language=language)
    problems: list[str] = []

    def check(label: str) -> None:
        violations = axe_violations(page)
        if violations:
            problems.append(format_violations(violations, label, page.url))

    point, garden_point, customer = office["point"], office["garden_point"], office["customer"]
    log_in(page, "clerk@example.org", "/staff/login/")

    # Recording a reading: the search, its errors and results, the form, its errors, a refusal, the outcomes
    page.goto("/staff/readings/new/")
    check("reading: search")
    submit(page)
    check("reading: search without a term")
    page.goto(f"/staff/readings/new/?q={customer.code}")
    check("reading: addresses found")
    page.goto(f"/staff/readings/new/?point={garden_point.pk}")
    check("reading: form with a garden meter")
    submit(page)
    check("reading: form with errors")
    page.goto(f"/staff/readings/new/?point={point.pk}")
    page.locator("main input[name^=meter_]").first.fill("1")  # lower than the last reading: refused
    submit(page)
    check("reading: refused")
    page.goto(f"/staff/readings/new/?point={garden_point.pk}")
    page.locator("main input[name^=meter_]").nth(0).fill("12")
    page.locator("main input[name^=meter_]").nth(1).fill("3")
    page.locator("main input[name=issue_now]").uncheck()
    submit(page)
    assert "/staff/readings/recorded/" in page.url
    check("reading: stored, invoice waiting")
    submit(page)  # "issue the invoice now" on the outcome page
    assert "/staff/invoices/" in page.url

    # The review queue, with a photo, and after a decision
    page.goto("/staff/readings/review/")
    check("review queue")
    submit(page, "main form button[value=accept]")
    assert page.locator(".message.success").count() == 1
    check("review queue after accepting")

    # Meters
    page.goto("/staff/meters/verification/")
    check("meter verification list")
    page.goto("/staff/meters/verification/?months=1")
    check("meter verification list, 1 month")
    meter_id = garden_point.meters.order_by("id").first().pk
    page.goto(f"/staff/meters/{meter_id}/replace/")
    check("meter replacement")
    page.locator("main input[name=removal_reading]").fill("abc")
    submit(page)
    check("meter replacement with errors")

    # Tariffs
    page.goto("/staff/tariffs/")
    check("tariffs")
    log_in(page, "admin@example.org", "/staff/login/")
    page.goto("/staff/tariffs/new/")
    check("new tariff")
    submit(page)
    check("new tariff with errors")
    page.locator("main input[name=valid_from]").fill((dt.date.today() - dt.timedelta(days=30)).isoformat())
    for name, value in (("water_price", "6,71"), ("sewage_price", "9,35"), ("subscription_fee", "18,40")):
        page.locator(f"main input[name={name}]").fill(value)
    submit(page)
    assert page.locator("main button[value=confirm]").count() == 1
    check("new tariff: preview with affected invoices")

    assert not problems, "\n\n".join(problems)
