"""The office's day in a real browser: activate a registration, record a reading reported by phone, approve a
held reading, import a bank statement, assign the payment it could not match. axe-core checks every page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from ebok.accounts.models import CustomerAccess, Role, User
from ebok.accounts.services import registration_confirm_email, registration_create
from ebok.billing.models import Invoice
from ebok.common.actor import SYSTEM
from ebok.payments.models import Payment
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import reading_submit
from tests import factories
from tests.browser.helpers import assert_accessible, give_the_code
from tests.factories import make_history

PASSWORD = "Zielona łąka nad Wisłą 7"


@pytest.fixture
def office(company):
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    day = dt.date.today() - dt.timedelta(days=10)
    anna = factories.make_customer(name="Anna Nowak")
    anna_point, anna_meter = make_history(anna, group, invoices=2, today=day)
    jan = factories.make_customer(name="Jan Zieliński")
    _jan_point, jan_meter = make_history(jan, group, invoices=2, today=day)
    held = reading_submit(
        actor=SYSTEM, meter=jan_meter, value=Decimal(900), date=dt.date.today(), source=Source.PORTAL
    )
    assert held.status == Status.HELD
    registration = registration_create(
        actor=SYSTEM,
        email="nowa@example.org",
        password=PASSWORD,
        customer_code=anna.code,
        invoice_number=anna.invoices.first().number,
        customer=anna,
    )
    registration_confirm_email(actor=SYSTEM, user=registration.user)
    clerk = User.objects.create_user(
        username="clerk@example.org", email="clerk@example.org", password=PASSWORD, is_staff=True
    )
    clerk.groups.add(Group.objects.get(name=Role.CLERK.value))
    return {"anna": anna, "anna_meter": anna_meter, "jan": jan, "held": held}


def click(page, role: str, name: str | re.Pattern) -> None:
    with page.expect_navigation():
        page.get_by_role(role, name=name).first.click()
    assert_accessible(page, page.url)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_office_works_through_its_day(make_page, office, tmp_path, language):
    anna, jan = office["anna"], office["jan"]
    page = make_page(language=language)
    page.goto("/staff/login/")
    assert_accessible(page, "staff login")
    page.locator("input[name=username]").fill("clerk@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    assert_accessible(page, "staff login: setting up two-step login")
    give_the_code(page, "clerk@example.org")
    assert_accessible(page, "staff start page")

    # 1. Activate the registration.
    page.goto("/staff/activations/")
    assert_accessible(page, "activation queue")
    with page.expect_navigation():
        page.locator("button[name=decision][value=activate]").first.click()
    assert CustomerAccess.objects.filter(user__email="nowa@example.org", customer=anna).exists()

    # 2. A reading reported by phone, invoiced at once.
    page.goto("/staff/readings/new/")
    page.locator("input[name=q]").fill(anna.code)
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    if "point=" not in page.url:  # several addresses found: choose Anna's
        assert_accessible(page, "address search")
        with page.expect_navigation():
            page.locator("main table a").first.click()
    assert_accessible(page, "phone reading form")
    page.locator(f"input[name=meter_{office['anna_meter'].pk}]").fill("121")
    page.locator("select[name=source]").select_option("phone")
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    assert_accessible(page, "phone reading result")
    phone_reading = Reading.objects.get(meter=office["anna_meter"], source=Source.PHONE)
    invoice = Invoice.objects.get(
        service_point=office["anna_meter"].service_point, period_end=phone_reading.date
    )
    assert invoice.number in page.inner_text("main")

    # 3. Approve the held reading: it is accepted and invoiced.
    page.goto("/staff/readings/review/")
    assert_accessible(page, "review queue")
    with page.expect_navigation():
        page.locator("button[name=decision][value=accept]").first.click()
    office["held"].refresh_from_db()
    assert office["held"].status == Status.ACCEPTED
    assert Invoice.objects.filter(customer=jan, period_end=office["held"].date).exists()

    # 4. Import a bank statement: one transfer to Anna's individual account, one nobody's.
    statement = tmp_path / "wyciag.csv"
    statement.write_text(
        "date;amount;title;counterparty_name;counterparty_account;target_account;reference\n"
        f"{dt.date.today():%Y-%m-%d};50,00;Za wodę;Anna Nowak;;{anna.bank_account};B-1\n"
        f"{dt.date.today():%Y-%m-%d};7,50;przelew;Ktoś Nieznany;;;B-2\n",
        encoding="utf-8",
    )
    page.goto("/staff/payments/import/")
    assert_accessible(page, "statement import")
    page.locator("input[type=file]").set_input_files(str(statement))
    page.locator("select[name=format]").select_option("csv")
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    assert_accessible(page, "statement import report")
    assert Payment.objects.get(bank_reference__contains="B-1").customer == anna
    unmatched = Payment.objects.get(bank_reference__contains="B-2")
    assert unmatched.customer is None

    # 5. Assign the unmatched payment to Jan.
    page.goto("/staff/payments/unmatched/")
    assert_accessible(page, "unmatched payments")
    page.locator(f"#code-{unmatched.pk}").fill(jan.code)
    with page.expect_navigation():
        page.locator(f"#code-{unmatched.pk}").press("Enter")
    assert_accessible(page, page.url)
    unmatched.refresh_from_db()
    assert unmatched.customer == jan
