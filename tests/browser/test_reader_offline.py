"""The meter reader's app on a phone, offline: the route is downloaded, three readings are made without a
connection, and when it returns the server holds exactly three readings and three invoices; sending the
same items again changes nothing. axe-core checks the app at phone width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from ebok.accounts.models import User
from ebok.billing.models import Invoice
from ebok.readings.models import Reading, Source
from tests import factories
from tests.browser.helpers import assert_accessible, give_the_code, wait_until
from tests.collector.conftest import make_route

PASSWORD = "Zielona łąka nad Wisłą 7"

# The app and its service worker send requests in parallel; the live server answers them from several threads,
# which SQLite's in-memory test database (one shared connection) cannot serve. PostgreSQL can, so this test
# runs there (in CI: the PostgreSQL pass).
pytestmark = pytest.mark.postgres


@pytest.fixture
def reader_route(company):
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    reader = User.objects.create_user(
        username="inkasent@example.org", email="inkasent@example.org", password=PASSWORD, is_staff=True
    )
    reader.groups.add(Group.objects.get(name="meter_reader"))
    _route, points = make_route(group, reader, day=dt.date.today())
    return points


@pytest.mark.parametrize("language", ["pl", "en"])
def test_three_readings_taken_offline_are_invoiced_once_when_the_connection_returns(
    make_page, reader_route, language
):
    page = make_page(viewport="phone", language=language)
    page.goto("/reader/login/")
    assert_accessible(page, "reader login (phone)")
    page.locator("input[name=username]").fill("inkasent@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    assert_accessible(page, "reader login: setting up two-step login (phone)")
    give_the_code(page, "inkasent@example.org")
    for point, _meter in reader_route:
        page.wait_for_selector(f"#point-{point.pk}")
    assert_accessible(page, "reader's route (phone)")

    page.context.set_offline(True)
    for point, meter in reader_route:
        page.locator(f"#m-{meter.pk}").fill("130")
        page.locator(f"#point-{point.pk} form.read-form button[type=submit]").click()
        wait_until(page, f"document.querySelector('#result-{point.pk}').textContent.length > 0")
    assert Reading.objects.filter(source=Source.READER, date=dt.date.today()).count() == 0
    assert page.evaluate("JSON.parse(localStorage.getItem('ebok-reader-queue')).length") == 3
    assert_accessible(page, "reader's route with readings waiting (phone)")

    page.context.set_offline(False)
    wait_until(page, "JSON.parse(localStorage.getItem('ebok-reader-queue') || '[]').length === 0")
    for point, _meter in reader_route:
        page.wait_for_selector(f"#result-{point.pk} img.qr")

    readings = Reading.objects.filter(source=Source.READER, date=dt.date.today())
    invoices = Invoice.objects.filter(period_end=dt.date.today())
    assert (readings.count(), invoices.count()) == (3, 3)
    assert_accessible(page, "reader's route after the sync (phone)")

    results = page.evaluate("window.ebokReader.resendAll()")
    assert [r["ok"] for r in results] == [True, True, True]
    assert (readings.count(), invoices.count()) == (3, 3)
    numbers = sorted(r["invoice"]["number"] for r in results)
    assert numbers == sorted(invoices.values_list("number", flat=True))
