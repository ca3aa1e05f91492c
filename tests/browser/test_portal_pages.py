"""axe-core (WCAG 2.1 A/AA) finds nothing on any portal page — public and logged-in, with and without form
errors — in Polish and English, on a desktop and on a phone; and no page scrolls sideways on a phone."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from ebok.accounts.models import CustomerAccess, Role, User
from ebok.common import clock
from ebok.notifications.models import Announcement
from ebok.notifications.outbox import message_queue, unsubscribe_token
from ebok.portal.views.public import HELP_TOPICS
from ebok.readings.models import Reading, Source, Status
from tests import factories
from tests.browser.helpers import PASSWORD, axe_violations, format_violations, log_in, submit
from tests.factories import make_history


@pytest.fixture
def site(company):
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    customer = factories.make_customer(name="Anna Nowak", email="anna@example.org")
    point, meter = make_history(customer, group, invoices=3, today=dt.date.today() - dt.timedelta(days=10))
    factories.make_point(customer, group, street="ul. Ogrodowa 5")  # a second address, without history
    user = User.objects.create_user(username="anna@example.org", email="anna@example.org", password=PASSWORD)
    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
    second = factories.make_customer(name="Anna Nowak (sklep)")
    CustomerAccess.objects.create(user=user, customer=second, granted_at=clock.now())  # the code switcher
    key = uuid.uuid4().hex
    held = Reading.objects.create(
        meter=meter,
        date=dt.date.today() - dt.timedelta(days=1),
        value=meter.readings.latest("date").value + 500,
        source=Source.PORTAL,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "500", "days": 9, "expected": "3"},
        created_at=clock.now(),
        idempotency_key=f"{key}:{meter.pk}",
    )
    clerk = User.objects.create_user(
        username="clerk@example.org", email="clerk@example.org", password=PASSWORD, is_staff=True
    )
    from django.contrib.auth.models import Group

    clerk.groups.add(Group.objects.get(name=Role.CLERK.value))
    today = dt.date.today()
    Announcement.objects.create(
        title="Przerwa w dostawie wody",
        body="Wymiana zasuwy na sieci wodociągowej.",
        scope="city",
        city=point.city,
        starts_on=today,
        ends_on=today + dt.timedelta(days=1),
        created_at=clock.now(),
    )
    notice = message_queue(
        to=customer.email,
        template="invoice_issued",
        context={"invoice": customer.invoices.first(), "customer": customer},
        customer=customer,
        kind="invoice_issued",
    )
    return {
        "point": point,
        "invoice": customer.invoices.first(),
        "held": held,
        "key": key,
        "unsubscribe": f"/unsubscribe/{unsubscribe_token(notice)}/",
    }


def check(page, label: str, problems: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        problems.append(format_violations(violations, label, page.url))
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        problems.append(f"{label}: the page is {overflow}px wider than the screen ({page.url})")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_portal_page_has_accessibility_violations(make_page, site, language, viewport):
    page = make_page(viewport=viewport, language=language)
    problems: list[str] = []

    def visit(path: str, label: str | None = None, *, errors: bool = False) -> None:
        page.goto(path)
        check(page, label or path, problems)
        if errors:
            submit(page)
            check(page, f"{label or path} with form errors", problems)

    # Public pages
    for path in ["/", "/accessibility/", "/help/", *(f"/help/{slug}/" for slug in HELP_TOPICS)]:
        visit(path)
    visit("/reading/", errors=True)
    visit("/register/", errors=True)
    visit("/register/sent/")
    visit("/register/confirm/MQ/wrong-token/", "confirmation link that does not work")
    visit("/login/", errors=True)
    visit("/password/reset/", errors=True)
    visit("/password/reset/sent/")
    visit("/password/reset/MQ/wrong-token/", "password reset link that does not work")
    visit(site["unsubscribe"], "unsubscribe: confirm")
    submit(page)
    check(page, "unsubscribe: done", problems)
    visit(site["unsubscribe"], "unsubscribe: link used")
    visit("/unsubscribe/made-up:token/", "unsubscribe: link not valid")

    # The customer's pages
    log_in(page, "anna@example.org")
    point, invoice, held = site["point"], site["invoice"], site["held"]
    for path in [
        "/panel/",
        "/invoices/",
        f"/invoices/{invoice.pk}/",
        "/payments/",
        "/consents/",
        f"/points/{point.pk}/",
        f"/readings/submitted/{site['key']}/",
        "/account/",
    ]:
        visit(path)
    visit("/panel/data/change/", errors=True)
    visit("/password/change/", errors=True)
    visit(f"/readings/{held.pk}/photo/", errors=True)
    visit(f"/points/{point.pk}/reading/", errors=True)
    page.locator("main input[name^=meter_]").first.fill("1")  # lower than the last reading: refused
    submit(page)
    check(page, "reading refused", problems)
    page.locator("main input[name^=meter_]").first.fill(str(held.value + 1))
    submit(page)
    check(page, "reading preview", problems)

    # The staff's activation queue
    page.context.clear_cookies()
    log_in(page, "clerk@example.org", "/staff/login/")
    check(page, "staff activation queue", problems)

    assert not problems, "\n\n".join(problems)
