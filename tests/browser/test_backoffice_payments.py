"""axe-core (WCAG 2.1 A/AA) finds nothing on the staff's payment pages — the list, recording a payment (with
errors), importing a statement (its report and a refused file), unmatched payments and assigning one —
nor on the debtors list and the reports, in Polish and English, at desktop width."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from ebok.accounts.models import Role, User
from ebok.common.actor import SYSTEM
from ebok.payments.services import payment_record
from tests import factories
from tests.browser.helpers import PASSWORD, axe_violations, format_violations, log_in, submit
from tests.factories import make_history


@pytest.fixture
def office(company):
    """Two customers with invoices (one partly paid, so both owe, some of it overdue), a business debtor,
    an unmatched payment, and a clerk who logs in with a password."""
    today = dt.date.today()
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    anna = factories.make_customer(name="Anna Nowak")
    make_history(anna, group, invoices=4, today=today - dt.timedelta(days=5))
    payment_record(
        actor=SYSTEM, customer=anna, amount=Decimal("30.00"), received_on=today - dt.timedelta(days=3)
    )
    shop = factories.make_customer(name="Sklep Sp. z o.o.", kind="business")
    make_history(shop, group, invoices=2, today=today - dt.timedelta(days=40))
    payment_record(
        actor=SYSTEM,
        amount=Decimal("45.10"),
        received_on=today - dt.timedelta(days=2),
        title=f"woda kod {anna.code}",
        counterparty_name="ANNA NOWAK UL POLNA 1",
        counterparty_account="59109010140000071219812999",
    )
    clerk = User.objects.create_user(
        username="clerk@example.org", email="clerk@example.org", password=PASSWORD, is_staff=True
    )
    clerk.groups.add(Group.objects.get(name=Role.CLERK.value))
    return {"anna": anna, "today": today}


@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_payment_debtor_or_report_page_has_accessibility_violations(make_page, office, language, tmp_path):
    page = make_page(viewport="desktop", language=language)
    problems: list[str] = []

    def check(label: str) -> None:
        violations = axe_violations(page)
        if violations:
            problems.append(format_violations(violations, label, page.url))

    anna, today = office["anna"], office["today"]
    log_in(page, "clerk@example.org", "/staff/login/")

    page.goto("/staff/payments/")
    check("payments")
    page.goto("/staff/payments/?date_from=31.12.2099&date_to=01.01.2000")
    check("payments: wrong filter")

    page.goto("/staff/payments/new/")
    check("record a payment")
    page.locator("main input[name=amount]").fill("zero")
    submit(page)
    check("record a payment: errors")
    page.locator("main input[name=customer_code]").fill(anna.code)
    page.locator("main input[name=amount]").fill("12,50")
    submit(page)
    assert page.url.endswith("/staff/payments/")
    check("payments after recording one")

    statement = tmp_path / "wyciag.csv"
    statement.write_text(
        "date;amount;title;counterparty_name\n"
        f"{today:%d.%m.%Y};20,00;kod {anna.code};Anna Nowak\n"
        f"{today:%d.%m.%Y};7,00;darowizna;Jan Nieznany\n",
        encoding="utf-8",
    )
    page.goto("/staff/payments/import/")
    check("import a statement")
    page.locator("main input[name=file]").set_input_files(str(statement))
    page.locator("main select[name=format]").select_option("csv")
    submit(page)
    check("import a statement: the report")
    page.locator("main input[name=file]").set_input_files(str(statement))
    page.locator("main select[name=format]").select_option("mt940")  # a CSV read as MT940: refused
    submit(page)
    assert page.locator("main .error").count() >= 1
    check("import a statement: a refused file")

    page.goto("/staff/payments/unmatched/")
    check("unmatched payments")
    page.goto(page.locator("main form[action$='/assign/']").first.get_attribute("action"))  # one payment
    check("assign a payment")
    page.locator("main input[name=customer_code]").last.fill("000000")
    submit(page, "main form button.primary")
    check("assign a payment: unknown code")
    page.locator("main input[name=customer_code]").last.fill(anna.code)
    submit(page, "main form button.primary")
    assert page.url.endswith("/staff/payments/unmatched/")
    check("unmatched payments after assigning one")

    page.goto("/staff/debtors/")
    check("debtors")
    page.goto("/staff/debtors/?as_of=31.12.2099")
    check("debtors: a day in the future")

    page.goto("/staff/reports/")
    check("reports")
    for name in ("readings", "invoices", "payments", "debt"):
        page.goto(f"/staff/reports/{name}/")
        check(f"report: {name}")

    assert not problems, "\n\n".join(problems)
