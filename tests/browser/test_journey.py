"""The customer's whole journey in a real browser, once with the mouse and once with the keyboard only:

register → confirm the e-mail → staff activate → log in → see the balance and the last reading date →
submit a reading → see the preview → confirm → download the invoice PDF → see the balance change →
change a consent. axe-core checks every page on the way.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail

from ebok.accounts.models import Role, User
from ebok.billing.models import Invoice
from ebok.notifications.models import ConsentEvent
from ebok.payments.selectors import balance_for_customer
from tests import factories
from tests.browser.helpers import assert_accessible, assert_focus_visible, press_tab_until
from tests.factories import make_history
from tests.twofactor import code_for_secret

PASSWORD = "Zielona łąka nad Wisłą 7"


@pytest.fixture
def utility(company):
    """A customer with a year of invoices (the last reading 118 m³ ten days ago) and an office clerk."""
    group = factories.make_tariff_group()
    factories.make_tariff(group)
    customer = factories.make_customer(name="Anna Nowak", email="anna@example.org")
    point, meter = make_history(customer, group, invoices=2, today=dt.date.today() - dt.timedelta(days=10))
    clerk = User.objects.create_user(
        username="clerk@example.org", email="clerk@example.org", password=PASSWORD, is_staff=True
    )
    from django.contrib.auth.models import Group

    clerk.groups.add(Group.objects.get(name=Role.CLERK.value))
    return {"customer": customer, "point": point, "meter": meter, "invoice": customer.invoices.first()}


class Person:
    """Does things on a page either with the mouse (clicks, fills) or with the keyboard only (Tab, type)."""

    def __init__(self, page, *, keyboard: bool):
        self.page = page
        self.keyboard = keyboard

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.check(path)

    def check(self, label: str) -> None:
        assert_accessible(self.page, f"{label} ({'keyboard' if self.keyboard else 'mouse'})")

    def fill(self, label: str, text: str) -> None:
        if self.keyboard:
            press_tab_until(
                self.page, lambda f: f.name.startswith(label) and f.role in ("textbox", "combobox")
            )
            assert_focus_visible(self.page)
            self.page.keyboard.type(text)
        else:
            self.page.get_by_label(label, exact=False).first.fill(text)

    def tick(self, label: str) -> None:
        if self.keyboard:
            press_tab_until(self.page, lambda f: f.name.startswith(label) and f.role == "checkbox")
            assert_focus_visible(self.page)
            self.page.keyboard.press("Space")
        else:
            self.page.get_by_label(label).first.check()

    def press(self, name: str, role: str = "button") -> None:
        if self.keyboard:
            press_tab_until(self.page, lambda f: f.name.startswith(name) and f.role == role)
            assert_focus_visible(self.page)
            with self.page.expect_navigation():
                self.page.keyboard.press("Enter")
        else:
            with self.page.expect_navigation():
                self.page.get_by_role(role, name=re.compile("^" + re.escape(name))).first.click()
        self.check(urlsplit(self.page.url).path)


def amount(text: str) -> Decimal:
    """'1 234.56 zł' → Decimal('1234.56') (English pages: comma groups thousands)."""
    number = re.search(r"([\d ,\u00a0]+\.\d\d) zł", text).group(1)
    return Decimal(re.sub(r"[ ,\u00a0]", "", number))


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_the_whole_customer_journey(make_page, utility, keyboard):
    customer, point = utility["customer"], utility["point"]
    email = f"anna.{'kb' if keyboard else 'mouse'}@example.org"
    me = Person(make_page(language="en"), keyboard=keyboard)

    # Register with the customer code and an invoice number; a form error first (passwords differ).
    me.goto("/register/")
    me.fill("Customer code", customer.code)
    me.fill("Number of one of your invoices", utility["invoice"].number)
    me.fill("E-mail address", email)
    me.fill("Password", PASSWORD)
    me.fill("Password again", PASSWORD + "x")
    me.press("Register")
    assert "The two passwords are different" in me.page.inner_text("main")
    me.fill("Password", PASSWORD)  # password fields come back empty: type both again
    me.fill("Password again", PASSWORD)
    me.press("Register")
    assert "Check your e-mail" in me.page.inner_text("h1")

    # Confirm the address by the link in the e-mail.
    [message] = [m for m in mail.outbox if m.to == [email]]
    link = re.search(r"https?://\S+/register/confirm/\S+/", message.body).group(0)
    me.goto(urlsplit(link).path)
    assert "waiting for activation" in me.page.inner_text("main")

    # The office clerk activates the account.
    clerk = Person(make_page(language="en"), keyboard=keyboard)
    clerk.goto("/staff/login/")
    clerk.fill("E-mail address", "clerk@example.org")
    clerk.fill("Password", PASSWORD)
    clerk.press("Log in")
    # Staff set up two-step login at their first login: the secret is also printed for typing into the app.
    clerk.fill("Code from the app", code_for_secret(clerk.page.locator("code.secret").inner_text()))
    clerk.press("Turn two-step login on")
    clerk.press("Accounts waiting for activation", role="link")
    assert email in clerk.page.inner_text("main")
    clerk.press(f"Activate {email}")
    assert "Activated" in clerk.page.inner_text("main")

    # Log in: the balance and the date of the last reading are on the dashboard.
    me.goto("/login/")
    me.fill("E-mail address", email)
    me.fill("Password", PASSWORD)
    me.press("Log in")
    dashboard = me.page.inner_text("main")
    balance_before = balance_for_customer(customer)
    assert f"{balance_before:,.2f} zł" in dashboard
    last_date = utility["meter"].readings.latest("date").date
    assert f"{last_date.day} {last_date:%B} {last_date.year}" in dashboard

    # Submit a reading, see the preview, confirm: the invoice is issued at once.
    me.press("Submit a reading for", role="link")
    me.fill(f"Meter {utility['meter'].serial_number}", "121")
    me.press("Check and show the invoice")
    preview = me.page.inner_text("main")
    assert "3 m³" in preview
    to_pay = amount(preview.split("Total to pay")[1])
    me.press("Confirm and issue the invoice")
    invoice = Invoice.objects.filter(service_point=point).latest("id")
    assert invoice.total_gross == to_pay
    assert invoice.number in me.page.inner_text("main")

    # Download the PDF.
    with me.page.expect_download() as download:
        if keyboard:
            press_tab_until(me.page, re.compile("Download the invoice"))
            me.page.keyboard.press("Enter")
        else:
            me.page.get_by_role("link", name="Download the invoice (PDF)").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # The balance grew by the invoice.
    me.press("My account", role="link")
    assert f"{balance_before + invoice.total_gross:,.2f} zł" in me.page.inner_text("main")

    # Change a consent: electronic invoices by e-mail.
    me.press("Consents", role="link")
    me.tick("e-mail")  # the first checkbox of the first group: invoices sent electronically
    me.press("Save consents")
    assert "Your consents have been saved" in me.page.inner_text("main")
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.kind, event.medium, event.given, event.channel) == ("e_invoice", "email", True, "portal")
    assert "given" in me.page.inner_text("table")
