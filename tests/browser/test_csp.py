"""The Content Security Policy in a real browser: Chromium enforces the policy the server sends, and not one page
of the portal, the back-office, the reader app or the API's documentation makes it refuse anything (an inline
style or script, an event handler attribute, a resource from elsewhere).

A script added before any of the page's own (`add_init_script`) records every `securitypolicyviolation` event
in window.__cspViolations; the console is recorded too. Headers of every URL: tests/security/test_headers.py.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Group

from ebok.accounts.models import CustomerAccess, Role, User
from ebok.common import clock
from ebok.notifications.models import Announcement
from ebok.portal.views.public import HELP_TOPICS
from ebok.readings.models import Reading, Source, Status
from tests import factories
from tests.browser.helpers import PASSWORD, give_the_code, log_in, wait_until
from tests.collector.conftest import make_route
from tests.factories import make_history

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # without playwright the browser fixture skips every test here (conftest.py)
    PlaywrightTimeout = TimeoutError


RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


class CspWatch:
    """Everything the browser refused or complained about on the pages visited with one Page."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if text.startswith("Failed to load resource: the server responded with a status of 4"):
            return  # the pages with form errors answer 400 on purpose
        if message.type == "error" or "Content Security Policy" in text or "Refused to" in text:
            self.problems.append(f"{self.page.url}: console {message.type}: {text}")

    def collect(self, label: str) -> None:
        """Add the violations recorded on the current page (call before leaving it)."""
        for v in self.page.evaluate("() => window.__cspViolations || []"):
            self.problems.append(
                f"{label} ({self.page.url}): {v['directive']} refused {v['blocked'] or 'inline'}"
                f" at {v['source']}:{v['line']} {v['sample']!r}"
            )

    def visit(self, path: str, label: str | None = None, *, wait_for: str | None = None) -> None:
        self.page.goto(path)
        if wait_for:
            try:
                self.page.wait_for_selector(wait_for)
            except PlaywrightTimeout:
                self.problems.append(f"{label or path}: {wait_for} never appeared (the page did not render)")
        self.collect(label or path)


def staff_user(username: str, role: Role) -> User:
    user = User.objects.create_user(username=username, email=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def site(company):
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    today = dt.date.today()
    customer = factories.make_customer(name="Anna Nowak", email="anna@example.org")
    point, meter = make_history(customer, group, invoices=4, today=today - dt.timedelta(days=10))
    user = User.objects.create_user(username="anna@example.org", email="anna@example.org", password=PASSWORD)
    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
    key = uuid.uuid4().hex
    held = Reading.objects.create(
        meter=meter,
        date=today - dt.timedelta(days=1),
        value=meter.readings.latest("date").value + 500,
        source=Source.PORTAL,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "500", "days": 9, "expected": "3"},
        created_at=clock.now(),
        idempotency_key=f"{key}:{meter.pk}",
    )
    Announcement.objects.create(
        title="Przerwa w dostawie wody",
        body="Wymiana zasuwy.",
        scope="city",
        city=point.city,
        starts_on=today,
        ends_on=today + dt.timedelta(days=1),
        created_at=clock.now(),
    )
    staff_user("clerk@example.org", Role.CLERK)
    return {
        "customer": customer,
        "point": point,
        "invoice": customer.invoices.first(),
        "held": held,
        "key": key,
    }


def test_no_portal_page_breaks_the_content_security_policy(page, site):
    watch = CspWatch(page)
    for path in ["/", "/accessibility/", "/help/", *(f"/help/{slug}/" for slug in HELP_TOPICS)]:
        watch.visit(path)
    for path in ["/reading/", "/register/", "/login/", "/password/reset/", "/register/confirm/MQ/wrong/"]:
        watch.visit(path)

    log_in(page, "anna@example.org")
    point, invoice, held = site["point"], site["invoice"], site["held"]
    for path in [
        "/panel/",
        "/invoices/",
        f"/invoices/{invoice.pk}/",
        "/payments/",
        "/consents/",
        f"/points/{point.pk}/",  # the consumption chart (SVG drawn by ebok/portal/charts.py)
        f"/readings/submitted/{site['key']}/",
        f"/readings/{held.pk}/photo/",
        "/account/",
        "/account/two-step/",  # two-step login for customers: optional
        "/account/two-step/setup/",  # with its QR code (SVG)
        "/panel/data/change/",
        "/password/change/",
        f"/points/{point.pk}/reading/",
    ]:
        watch.visit(path)
        if path == "/account/two-step/setup/":
            assert page.locator(".qr svg").count() == 1
    page.locator("main input[name^=meter_]").first.fill(str(held.value + 1))
    with page.expect_navigation():
        page.locator("main form button.primary").first.click()
    watch.collect("reading preview")

    assert not watch.problems, "\n".join(watch.problems)


def test_no_staff_page_breaks_the_content_security_policy(page, site):
    watch = CspWatch(page)
    watch.visit("/staff/login/")
    log_in(page, "clerk@example.org", "/staff/login/", code=False)
    assert page.locator(".qr svg").count() == 1, page.url  # the first login sets the authenticator app up
    watch.collect("two-step login set-up (a QR code, SVG)")
    give_the_code(page, "clerk@example.org")
    watch.collect("staff start page")
    customer, invoice = site["customer"], site["invoice"]
    for path in [
        "/staff/",
        "/staff/customers/",
        f"/staff/customers/{customer.code}/",
        "/staff/readings/new/",
        "/staff/readings/review/",  # with the held reading of the customer
        f"/staff/invoices/{invoice.pk}/",
        "/staff/payments/",
        "/staff/payments/new/",
        "/staff/payments/import/",
        "/staff/debtors/",
        "/staff/meters/verification/",
        "/staff/tariffs/",
        "/staff/reports/",
        "/staff/reports/readings/",  # a report with its chart
        "/staff/audit/",
        "/staff/routes/",
        "/staff/messages/",
        "/staff/announcements/",
        "/staff/announcements/new/",
    ]:
        watch.visit(path)

    # Logging in again: the code page.
    page.context.clear_cookies()
    log_in(page, "clerk@example.org", "/staff/login/", code=False)
    assert "/login/code/" in page.url
    watch.collect("two-step login code")

    assert not watch.problems, "\n".join(watch.problems)


def test_the_api_documentation_works_under_the_content_security_policy(page, company):
    watch = CspWatch(page)

    watch.visit("/api/v1/docs", "API documentation (Swagger UI)", wait_for=".swagger-ui .opblock")

    assert not watch.problems, "\n".join(watch.problems)
    assert page.locator(".swagger-ui .opblock").count() > 25  # every operation is listed


def test_the_admin_login_breaks_no_policy(page, company):
    watch = CspWatch(page)

    watch.visit("/admin/login/")

    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.postgres  # the app and its service worker send requests in parallel (see test_reader_offline.py)
def test_the_reader_app_and_its_service_worker_break_no_policy(make_page, company):
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    reader = staff_user("inkasent@example.org", Role.READER)
    _route, points = make_route(group, reader, day=dt.date.today())
    page = make_page(viewport="phone")
    watch = CspWatch(page)

    watch.visit("/reader/login/")
    log_in(page, "inkasent@example.org", "/reader/login/")
    for point, _meter in points:
        page.wait_for_selector(f"#point-{point.pk}")
    wait_until(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== undefined")
    watch.collect("reader's route")
    watch.visit("/reader/", "reader's route, reloaded")

    assert not watch.problems, "\n".join(watch.problems)
