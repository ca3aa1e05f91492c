"""axe-core (WCAG 2.1 A/AA) finds nothing on the staff's notification pages — the outbox, a message, sending it
again, announcements (list, form with errors, page, sending), recording consents at the office (with errors) — in
Polish and English, on a desktop and on a phone; and none of them scrolls sideways on a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from ebok.accounts.models import Role, User
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.notifications.models import ConsentEvent, ConsentKind, Message, MessageStatus
from ebok.notifications.services import announcement_create, consents_set
from tests import factories
from tests.browser.helpers import PASSWORD, axe_violations, format_violations, log_in, submit


@pytest.fixture
def office(company):
    """A customer with an address and an outage consent, a failed and a sent message, an announcement; a clerk."""
    group = factories.make_tariff_group()
    customer = factories.make_customer(name="Anna Nowak", email="anna@example.org")
    factories.make_point(customer, group, street="ul. Lipowa 3", city="Piekoszów")
    factories.make_point(
        factories.make_customer(name="Jan Lis"), group, street="Zagórze 12", city="Wincentów"
    )
    consents_set(actor=SYSTEM, customer=customer, wanted={("outage", "email"): True}, channel="portal")
    common = {"customer": customer, "kind": ConsentKind.INVOICE_ISSUED, "template": "invoice_issued"}
    Message.objects.create(
        **common,
        medium="email",
        to="anna@example.org",
        subject="Nowa faktura",
        body="Dzień dobry,\n\nwystawiliśmy fakturę.",
        status=MessageStatus.SENT,
        attempts=1,
        created_at=clock.now() - dt.timedelta(hours=2),
        sent_at=clock.now() - dt.timedelta(hours=2),
    )
    failed = Message.objects.create(
        **common,
        medium="email",
        to="anna@example.org",
        subject="Faktura FV/2025/000007",
        body="Dzień dobry,\n\nwystawiliśmy fakturę.",
        status=MessageStatus.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: {'anna@example.org': (550, b'5.1.1 no such user')}",
        created_at=clock.now() - dt.timedelta(hours=1),
    )
    today = dt.date.today()
    announcement = announcement_create(
        actor=SYSTEM,
        title="Przerwa w dostawie wody",
        body="Wymiana zasuwy.\n\nWoda z beczkowozu przy sklepie.",
        scope="street",
        city="Piekoszów",
        street="ul. Lipowa",
        starts_on=today,
        ends_on=today + dt.timedelta(days=1),
    )
    clerk = User.objects.create_user(
        username="clerk@example.org", email="clerk@example.org", password=PASSWORD, is_staff=True
    )
    clerk.groups.add(Group.objects.get(name=Role.CLERK.value))
    return {"customer": customer, "failed": failed, "announcement": announcement}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_staff_notification_page_has_accessibility_violations(make_page, office, language, viewport):
    page = make_page(viewport=viewport, language=language)
    problems: list[str] = []

    def check(label: str) -> None:
        violations = axe_violations(page)
        if violations:
            problems.append(format_violations(violations, label, page.url))
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"{label}: the page is {overflow}px wider than the screen ({page.url})")

    customer, failed, announcement = office["customer"], office["failed"], office["announcement"]
    log_in(page, "clerk@example.org", "/staff/login/")

    # The outbox and one failed message, sent again.
    for path, label in [
        ("/staff/messages/", "messages"),
        ("/staff/messages/?status=failed", "messages: failed"),
        (f"/staff/messages/?q={customer.code}", "messages: search"),
        ("/staff/messages/?q=nobody-at-all", "messages: nothing found"),
        ("/staff/messages/?status=lost", "messages: wrong filter"),
        (f"/staff/messages/{failed.pk}/", "a failed message"),
    ]:
        page.goto(path)
        check(label)
    submit(page, "main form[action$='/resend/'] button")
    check("a message after sending it again")
    assert Message.objects.get(pk=failed.pk).status == MessageStatus.SENT

    # Announcements: the list, the form with errors, a new one, sending it.
    page.goto("/staff/announcements/")
    check("announcements")
    page.goto("/staff/announcements/new/")
    check("new announcement")
    page.locator("main select[name=scope]").select_option("street")
    page.locator("main select[name=city]").select_option("Wincentów")
    page.locator("main select[name=street]").select_option(label="ul. Lipowa")  # Piekoszów's street
    submit(page)
    assert page.locator("#error-summary").count() == 1
    check("new announcement: errors")
    page.locator("main input[name=title]").fill("Płukanie sieci")
    page.locator("main textarea[name=body]").fill("W nocy możliwy spadek ciśnienia.")
    page.locator("main select[name=city]").select_option("Piekoszów")
    page.locator("main select[name=street]").select_option(label="ul. Lipowa")
    page.locator("main input[name=starts_on]").fill(dt.date.today().isoformat())
    page.locator("main input[name=ends_on]").fill(dt.date.today().isoformat())
    submit(page)
    check("an announcement just saved")
    page.goto(f"/staff/announcements/{announcement.pk}/")
    check("an announcement")
    submit(page, "main form[action$='/send/'] button")
    check("an announcement after sending it")

    # Consents given on paper: without the reference to the signed form, then with it.
    page.goto(f"/staff/customers/{customer.code}/")
    check("customer page with messages and the consent form")
    form = "main form[action$='/consents/record/']"
    page.locator(f"{form} input[name=marketing__email]").check()
    page.locator(f"{form} select[name=channel]").select_option("paper")
    submit(page, f"{form} button.primary")
    assert page.locator("#error-summary").count() == 1
    check("record consents: errors")
    page.locator(f"{form} input[name=document]").fill("Skan 2025/117")
    submit(page, f"{form} button.primary")
    check("customer page after recording consents")
    assert ConsentEvent.objects.filter(channel="paper", document="Skan 2025/117").exists()

    assert not problems, "\n\n".join(problems)
