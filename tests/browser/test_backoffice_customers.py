"""axe-core (WCAG 2.1 A/AA) finds nothing on the staff's customer pages — search, the customer's page, a whole
list, change requests, the audit trail, with and without form errors — in Polish and English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from ebok.accounts.models import CustomerAccess, Role, User
from ebok.common import clock
from ebok.common.actor import SYSTEM, Actor
from ebok.customers.models import ChangeRequestStatus
from ebok.customers.services import change_request_create
from ebok.notifications.services import consents_set
from ebok.payments.services import payment_record
from ebok.readings.models import Reading, Source, Status
from tests import factories
from tests.browser.helpers import axe_violations, format_violations, give_the_code
from tests.factories import make_history

PASSWORD = "Zielona łąka nad Wisłą 7"


@pytest.fixture
def office(company):
    """A customer with a history, a held reading, consents, a pending change request; a second customer;
    an office clerk who logs in with a password."""
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    customer = factories.make_customer(name="Anna Nowak", email="anna@example.org")
    point, meter = make_history(customer, group, invoices=3, today=dt.date.today() - dt.timedelta(days=10))
    Reading.objects.create(
        meter=meter,
        date=dt.date.today() - dt.timedelta(days=1),
        value=meter.readings.latest("date").value + 500,
        source=Source.PHONE,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "500", "days": 9, "expected": "3"},
        created_at=clock.now(),
    )
    payment_record(actor=SYSTEM, customer=customer, amount=Decimal("50.00"), received_on=dt.date.today())
    consents_set(actor=SYSTEM, customer=customer, wanted={("e_invoice", "email"): True}, channel="portal")
    user = User.objects.create_user(username="anna@example.org", email="anna@example.org", password=PASSWORD)
    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
    change_request_create(
        actor=Actor(user=user, channel="portal"),
        customer=customer,
        changes={"phone": "600 100 200", "city": "Kielce"},
        message="Przeprowadzka.",
    )
    factories.make_customer(name="Anna Nowakowska")
    clerk = User.objects.create_user(
        username="clerk@example.org", email="clerk@example.org", password=PASSWORD, is_staff=True
    )
    clerk.groups.add(Group.objects.get(name=Role.CLERK.value))
    return {"customer": customer}


def check(page, label: str, problems: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        problems.append(format_violations(violations, label, page.url))


@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_staff_customer_page_has_accessibility_violations(make_page, office, language):
    page = make_page(viewport="desktop", language=language)
    problems: list[str] = []
    code = office["customer"].code

    page.goto("/staff/login/")
    page.locator("input[name=username]").fill("clerk@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    give_the_code(page, "clerk@example.org")

    for path, label in [
        ("/staff/customers/", "customer search"),
        ("/staff/customers/?q=Nowak", "customer search results"),
        ("/staff/customers/?q=nobody-at-all", "customer search without results"),
        (f"/staff/customers/{code}/", "customer page"),
        (f"/staff/customers/{code}/ledger/", "customer's whole ledger"),
        (f"/staff/customers/{code}/readings/", "customer's readings"),
        ("/staff/change-requests/", "change requests"),
        ("/staff/audit/", "audit trail"),
        (f"/staff/audit/?customer={code}&action=payment.", "audit trail filtered"),
        (
            "/staff/audit/?object=nonsense&date_from=2025-06-30&date_to=2025-06-01",
            "audit trail with form errors",
        ),
    ]:
        page.goto(path)
        check(page, label, problems)

    # Rejecting without a note: the form comes back with its error.
    page.goto("/staff/change-requests/")
    with page.expect_navigation():
        page.locator("main form button[value=reject]").first.click()
    assert page.locator("#error-summary").count() == 1
    check(page, "change requests with form errors", problems)

    # Approving: back to the (now empty) list with a message.
    with page.expect_navigation():
        page.locator("main form button[value=approve]").first.click()
    check(page, "change requests after approving", problems)
    assert office["customer"].change_requests.get().status == ChangeRequestStatus.APPROVED

    assert not problems, "\n\n".join(problems)
