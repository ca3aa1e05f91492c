"""Meters in the back-office: replacing a meter, and the list of meters whose legal verification expires."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from ebok.audit.models import AuditEntry
from ebok.common.actor import SYSTEM
from ebok.metering.models import Meter
from ebok.metering.selectors import add_months, meters_verification_due
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


@pytest.fixture
def meter(cast, tariff, today):
    point = factories.make_point(cast["customer_a_record"], tariff.group, opening_date=dt.date(2024, 12, 31))
    meter = factories.make_meter(point, reading="100", serial="WM-OLD-1", digits=5)
    reading_submit(actor=SYSTEM, meter=meter, value="130", date=dt.date(2025, 4, 30), source=Source.READER)
    return meter


def replace(client, meter, **overrides):
    data = {
        "on": "2025-06-20",
        "removal_reading": "141,5",
        "new_serial_number": "WM-NEW-1",
        "installation_reading": "0",
        "digits": "6",
        "verification_expires_on": "2031-06-20",
        **overrides,
    }
    return client.post(url("meter_replace", meter.pk), data)


def test_a_meter_is_replaced_through_the_staff_form(staff, cast, meter):
    client = staff("office_clerk")
    assert client.get(url("meter_replace", meter.pk)).status_code == 200

    response = replace(client, meter)

    meter.refresh_from_db()
    new = Meter.objects.get(serial_number="WM-NEW-1")
    assert response.status_code == 302
    assert meter.removed_on == dt.date(2025, 6, 20) and meter.removal_reading == Decimal("141.5")
    assert new.service_point_id == meter.service_point_id and new.role == meter.role
    assert new.installed_on == dt.date(2025, 6, 20) and new.installation_reading == 0 and new.digits == 6
    assert new.verification_expires_on == dt.date(2031, 6, 20)
    removed = AuditEntry.objects.get(action="meter.removed", object_id=str(meter.pk))
    installed = AuditEntry.objects.get(action="meter.installed", object_id=str(new.pk))
    assert removed.actor == installed.actor == cast["office_clerk"] and removed.channel == "backoffice"


def test_the_services_objections_are_shown_on_the_form(staff, meter):
    client = staff("office_clerk")
    factories.make_meter(meter.service_point, serial="WM-TAKEN")

    lower = replace(client, meter, removal_reading="120")  # below the last reading, 130 on 30 April
    taken = replace(client, meter, new_serial_number="WM-TAKEN")

    assert lower.status_code == taken.status_code == 400
    assert "130" in lower.content.decode() and 'class="error-summary"' in lower.content.decode()
    assert 'id="id_new_serial_number_error"' in taken.content.decode()
    meter.refresh_from_db()
    assert meter.removed_on is None
    assert not AuditEntry.objects.filter(action="meter.removed").exists()


def test_the_form_checks_dates_and_readings_before_the_service(staff, meter):
    client = staff("office_clerk")

    future = replace(client, meter, on="2025-07-01")
    not_a_number = replace(client, meter, removal_reading="abc", installation_reading="1234567")

    assert future.status_code == not_a_number.status_code == 400
    assert 'id="id_on_error"' in future.content.decode()
    page = not_a_number.content.decode()
    assert 'id="id_removal_reading_error"' in page and 'id="id_installation_reading_error"' in page
    meter.refresh_from_db()
    assert meter.removed_on is None


def test_a_removed_meter_is_not_replaced_again(staff, meter):
    client = staff("office_clerk")
    replace(client, meter)

    again = replace(client, meter, new_serial_number="WM-NEW-2")

    assert again.status_code == 400
    assert not Meter.objects.filter(serial_number="WM-NEW-2").exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("office_clerk", True), ("administrator", True), ("meter_reader", False), ("auditor", False)],
)
def test_who_may_replace_a_meter(staff, meter, role, allowed):
    client = staff(role)

    page = client.get(url("meter_replace", meter.pk))
    response = replace(client, meter)

    assert (page.status_code == 200) == allowed and (page.status_code == 403) != allowed
    assert (response.status_code == 302) == allowed and (response.status_code == 403) != allowed
    assert Meter.objects.filter(serial_number="WM-NEW-1").exists() == allowed


@pytest.fixture
def expiring(cast, tariff, today):
    """Meters in use expiring: already (1 June), in 2 months, in 5 months, in 8 months; one without a date,
    and one removed meter that had expired."""
    point = factories.make_point(cast["customer_b_record"], tariff.group, street="ul. Źródlana 7")
    other = factories.make_point(cast["customer_a_record"], tariff.group, street="ul. Łąkowa 2")
    meters = {
        "expired": factories.make_meter(point, serial="WM-EXP", verification_expires_on=dt.date(2025, 6, 1)),
        "2m": factories.make_meter(other, serial="WM-2M", verification_expires_on=dt.date(2025, 8, 31)),
        "5m": factories.make_meter(point, serial="WM-5M", verification_expires_on=dt.date(2025, 11, 30)),
        "8m": factories.make_meter(other, serial="WM-8M", verification_expires_on=dt.date(2026, 2, 28)),
        "none": factories.make_meter(other, serial="WM-NONE"),
    }
    removed = factories.make_meter(other, serial="WM-GONE", verification_expires_on=dt.date(2025, 1, 1))
    Meter.objects.filter(pk=removed.pk).update(removed_on=dt.date(2025, 2, 1), removal_reading=5)
    return meters


def test_months_are_added_by_calendar(company):
    assert add_months(dt.date(2025, 6, 30), 6) == dt.date(2025, 12, 30)
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)


def test_the_selector_lists_meters_in_use_expired_or_expiring_soonest_first(expiring, today):
    serials = [m.serial_number for m in meters_verification_due(today=today, months=6)]

    assert serials == ["WM-EXP", "WM-2M", "WM-5M"]
    assert [m.serial_number for m in meters_verification_due(today=today, months=12)][-1] == "WM-8M"


def test_the_verification_list_shows_expired_meters_highlighted(staff, cast, expiring):
    page = staff("office_clerk").get(url("meter_verification")).content.decode()

    assert page.index("WM-EXP") < page.index("WM-2M") < page.index("WM-5M")
    assert "WM-8M" not in page and "WM-NONE" not in page and "WM-GONE" not in page
    assert cast["customer_b_record"].name in page and "ul. Źródlana 7" in page and "01.06.2025" in page
    assert page.count('class="late"') == 1
    assert url("meter_replace", expiring["expired"].pk) in page


def test_the_period_is_selectable(staff, expiring):
    client = staff("office_clerk")

    wider = client.get(url("meter_verification"), {"months": "12"}).content.decode()
    nonsense = client.get(url("meter_verification"), {"months": "7"})

    assert "WM-8M" in wider
    assert nonsense.status_code == 200 and "WM-5M" in nonsense.content.decode()  # back to 6 months


def test_the_verification_list_exports_the_same_rows_as_csv_for_excel(staff, cast, expiring):
    response = staff("office_clerk").get(url("meter_verification"), {"months": "6", "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["customer_code", "customer_name", "address", "meter_serial"]
    assert [row[3] for row in rows[1:]] == ["WM-EXP", "WM-2M", "WM-5M"]
    expired = rows[1]
    assert expired[0] == cast["customer_b_record"].code and expired[1] == "Bogdan Wiśniewski"
    assert "ul. Źródlana 7" in expired[2] and expired[5] == "2025-06-01" and expired[6] == "1"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("office_clerk", True), ("administrator", True), ("meter_reader", True), ("auditor", True)],
)
def test_every_staff_role_sees_the_verification_list(staff, expiring, role, allowed):
    client = staff(role)

    assert (client.get(url("meter_verification")).status_code == 200) == allowed
    page = client.get(url("meter_verification")).content.decode()
    assert (url("meter_replace", expiring["expired"].pk) in page) == (
        role in ("office_clerk", "administrator")
    )


def test_customers_and_anonymous_visitors_get_no_meter_pages(client, cast, meter):
    assert client.get(url("meter_verification")).url.startswith("/staff/login/")
    assert client.get(url("meter_replace", meter.pk)).url.startswith("/staff/login/")
    client.force_login(cast["customer_a"])
    assert client.get(url("meter_verification")).status_code == 403
    assert replace(client, meter).status_code == 403
