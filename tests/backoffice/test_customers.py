"""Staff find a customer with one search box and see everything about them on one page; only staff with the
right to view customers get there, and one customer's page never shows another's data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ebok.accounts.models import CustomerAccess, User
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.customers.models import CustomerKind
from ebok.customers.selectors import customer_search
from ebok.customers.services import change_request_create
from ebok.notifications.services import consents_set
from ebok.payments.selectors import balance_for_customer
from ebok.payments.services import payment_record
from ebok.readings.models import Reading, Source, Status
from tests import factories
from tests.factories import VALID_NIP, make_history


@pytest.fixture
def staff(staff_en):
    return staff_en


@pytest.fixture
def town(company, group, today):
    """A few customers with addresses, meters, a business with a NIP."""
    kowalski = factories.make_customer(name="Jan Kowalski", street="ul. Lipowa 7", city="Piekoszów")
    point = factories.make_point(kowalski, group, street="Zagórze 12", city="Wincentów")
    factories.make_meter(point, serial="ZX-778899")
    firm = factories.make_customer(
        name="Piekarnia Złoty Kłos", kind=CustomerKind.BUSINESS, nip=VALID_NIP, street="ul. Kielecka 2"
    )
    other = factories.make_customer(name="Ewa Zielińska", street="ul. Polna 3", city="Łosień")
    return {"kowalski": kowalski, "firm": firm, "other": other, "point": point}


def codes(query: str) -> list[str]:
    return [c.code for c in customer_search(query)]


# --- the selector --------------------------------------------------------------------------------------


def test_search_finds_by_customer_code(town):
    assert codes(town["firm"].code) == [town["firm"].code]


def test_search_finds_by_part_of_the_name_in_any_case(town):
    assert codes("kowal") == [town["kowalski"].code]
    assert codes("ZŁOTY kłos") == [town["firm"].code]


def test_search_finds_by_the_customers_address(town):
    assert codes("Lipowa 7") == [town["kowalski"].code]
    assert codes("Kielecka") == [town["firm"].code]


def test_search_finds_by_a_service_points_address(town):
    assert codes("Zagórze") == [town["kowalski"].code]
    assert codes("Wincentów") == [town["kowalski"].code]


def test_search_finds_by_meter_serial_number(town):
    assert codes("zx-7788") == [town["kowalski"].code]


def test_search_finds_by_nip_with_or_without_dashes(town):
    assert codes(VALID_NIP) == [town["firm"].code]
    assert codes("526-104-08-28") == [town["firm"].code]


def test_search_finds_by_individual_bank_account_with_spaces(town):
    account = town["other"].bank_account
    grouped = " ".join([account[:2]] + [account[i : i + 4] for i in range(2, 26, 4)])

    assert codes(grouped) == [town["other"].code]
    assert codes("PL" + account) == [town["other"].code]
    assert codes(account[-12:]) == [town["other"].code]


def test_every_word_must_match_somewhere(town):
    assert codes("Kowalski Wincentów") == [town["kowalski"].code]
    assert codes("Kowalski Łosień") == []


def test_an_empty_query_finds_nothing(town):
    assert codes("   ") == []


def test_search_results_carry_the_balance_from_the_ledger(town):
    customer = town["kowalski"]
    payment_record(actor=SYSTEM, customer=customer, amount=Decimal("12.34"), received_on=clock.today())

    [found] = customer_search("Kowalski")

    assert found.balance == balance_for_customer(customer) == Decimal("-12.34")
    assert [c.balance for c in customer_search("Zielińska")] == [Decimal("0.00")]


# --- the search page -----------------------------------------------------------------------------------


def test_the_search_page_lists_code_name_address_and_balance(staff, town):
    payment_record(
        actor=SYSTEM, customer=town["kowalski"], amount=Decimal("1234.5"), received_on=clock.today()
    )

    page = staff("office_clerk").get("/staff/customers/", {"q": "Kowalski"}).content.decode()

    assert town["kowalski"].code in page
    assert "Jan Kowalski" in page
    assert "ul. Lipowa 7, 26-065 Piekoszów" in page
    assert "Zagórze 12, 26-065 Wincentów" in page  # the service point that may have been searched for
    assert "-1,234.50 zł" in page
    assert "Zielińska" not in page


def test_an_exact_customer_code_goes_straight_to_the_customer(staff, town):
    code = town["firm"].code

    response = staff("office_clerk").get("/staff/customers/", {"q": f" {code} "})

    assert response.status_code == 302
    assert response["Location"] == f"/staff/customers/{code}/"


def test_no_match_says_so(staff, town):
    page = staff("office_clerk").get("/staff/customers/", {"q": "Nieistniejąca"}).content.decode()

    assert "No customer matches “Nieistniejąca”." in page


def test_results_are_paginated_keeping_the_query(staff, company):
    for n in range(30):
        factories.make_customer(name=f"Nowicki {n:02d}")

    client = staff("office_clerk")
    first = client.get("/staff/customers/", {"q": "Nowicki"})
    second = client.get("/staff/customers/", {"q": "Nowicki", "page": 2})

    assert len(first.context["page"].object_list) == 25
    assert "?q=Nowicki&amp;page=2" in first.content.decode()
    assert len(second.context["page"].object_list) == 5


def test_search_costs_the_same_number_of_queries_for_2_and_20_results(staff, group, company):
    def count(name: str) -> int:
        client = staff("office_clerk")
        client.get("/staff/customers/", {"q": name})  # warm the session and permission caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/staff/customers/", {"q": name})
        assert response.status_code == 200
        return len(captured), len(response.context["page"].object_list)

    for n in range(2):
        customer = factories.make_customer(name=f"Mała {n}")
        factories.make_point(customer, group)
        payment_record(actor=SYSTEM, customer=customer, amount=Decimal(10), received_on=dt.date(2025, 1, 1))
    for n in range(20):
        customer = factories.make_customer(name=f"Duża {n}")
        factories.make_point(customer, group)
        payment_record(actor=SYSTEM, customer=customer, amount=Decimal(10), received_on=dt.date(2025, 1, 1))

    small, large = count("Mała"), count("Duża")

    assert (small[1], large[1]) == (2, 20)
    assert small[0] == large[0]


# --- the customer's page -------------------------------------------------------------------------------


@pytest.fixture
def household(cast, home_a, tariff, today):
    """Customer A with a history (home_a: invoices, a payment) plus a held reading, consents, a change
    request, audit."""
    customer, point, meter = home_a["customer"], home_a["point"], home_a["meter"]
    first = customer.invoices.order_by("id").first()
    Reading.objects.create(
        meter=meter,
        date=today,
        value=Decimal("999"),
        source=Source.PHONE,
        status=Status.HELD,
        reason_code="implausible",
        reason_params={"consumption": "880", "days": 10, "expected": "3"},
        created_at=clock.now(),
    )
    consents_set(actor=SYSTEM, customer=customer, wanted={("e_invoice", "email"): True}, channel="portal")
    change_request_create(actor=SYSTEM, customer=customer, changes={"phone": "600 700 800"})
    # Customer B has data of its own that must not show on A's page.
    other = cast["customer_b_record"]
    other_point = factories.make_point(other, tariff.group, street="ul. Obca 99")
    factories.make_meter(other_point, serial="OBCY-0001")
    payment_record(
        actor=SYSTEM, customer=other, amount=Decimal("777.77"), received_on=today, title="Obcy przelew"
    )
    return {"customer": customer, "point": point, "meter": meter, "first": first, "other": other}


def test_the_customer_page_shows_every_section(staff, household, cast):
    customer, meter, first = household["customer"], household["meter"], household["first"]

    response = staff("office_clerk").get(f"/staff/customers/{customer.code}/")

    assert response.status_code == 200
    page = response.content.decode()
    for heading in [
        "Balance",
        "Customer data",
        "Service points and meters",
        "Recent readings",
        "Invoices",
        "Payments",
        "Ledger",
        "Consents",
        "Requests to change data",
        "Portal accounts",
        "Audit trail",
    ]:
        assert f">{heading}</h2>" in page, heading
    assert customer.name in page
    assert " ".join([customer.bank_account[:2], customer.bank_account[2:6]]) in page  # grouped for reading
    assert meter.serial_number in page
    assert "ul. Polna 1, 26-065 Piekoszów" in page
    assert first.number in page
    assert f'href="/staff/invoices/{first.pk}/"' in page
    assert f"Faktura {first.number}" in page
    assert 'class="late"' in page and "held for review" in page and "phone" in page
    assert "invoices sent electronically" in page
    assert "600 700 800" in page
    assert cast["customer_a"].email in page
    assert "customer.change_requested" in page
    assert f'href="/staff/audit/?customer={customer.code}"' in page


def test_the_customer_page_shows_the_balance_open_overdue_and_credit(staff, household):
    response = staff("office_clerk").get(f"/staff/customers/{household['customer'].code}/")

    second = household["customer"].invoices.order_by("id").last()
    assert response.context["balance"] == balance_for_customer(household["customer"]) == second.total_gross
    assert response.context["open_total"] == second.total_gross
    assert response.context["credit"] == 0


def test_the_ledger_shows_a_running_balance_ending_at_the_balance(staff, household):
    response = staff("office_clerk").get(f"/staff/customers/{household['customer'].code}/")

    ledger = response.context["ledger"]
    assert ledger[0].balance_after == balance_for_customer(household["customer"])
    assert ledger[-1].balance_after == ledger[-1].amount  # the first entry ever
    for newer, older in zip(ledger, ledger[1:], strict=False):
        assert newer.balance_after - newer.amount == older.balance_after


def test_another_customers_data_does_not_leak_into_the_page(staff, household):
    page = staff("office_clerk").get(f"/staff/customers/{household['customer'].code}/").content.decode()

    assert household["other"].name not in page
    assert household["other"].code not in page
    assert "OBCY-0001" not in page
    assert "ul. Obca 99" not in page
    assert "777.77" not in page
    assert "Obcy przelew" not in page


def test_a_new_customer_without_any_history_has_a_page(staff, company):
    customer = factories.make_customer(name="Nowy Klient")

    response = staff("office_clerk").get(f"/staff/customers/{customer.code}/")

    assert response.status_code == 200
    page = response.content.decode()
    for text in ["No service points.", "No readings yet.", "No invoices yet.", "The ledger is empty."]:
        assert text in page


def test_an_unknown_customer_code_is_not_found(staff, household):
    assert staff("office_clerk").get("/staff/customers/999999/").status_code == 404


def test_long_histories_are_cut_with_a_link_to_show_all(staff, cast, tariff, today):
    customer = cast["customer_a_record"]
    make_history(customer, tariff.group, invoices=25, step_days=3, today=today)

    client = staff("office_clerk")
    page = client.get(f"/staff/customers/{customer.code}/")
    everything = client.get(f"/staff/customers/{customer.code}/invoices/")

    assert len(page.context["invoices"]) == 20
    assert f'href="/staff/customers/{customer.code}/invoices/"' in page.content.decode()
    assert len(everything.context["items"]) == 25
    assert all(invoice.number in everything.content.decode() for invoice in customer.invoices.all())


@pytest.mark.parametrize("section", ["readings", "invoices", "payments", "ledger", "consents", "changes"])
def test_each_whole_list_of_the_customer_has_a_page(staff, household, section):
    response = staff("auditor").get(f"/staff/customers/{household['customer'].code}/{section}/")

    assert response.status_code == 200
    assert response.context["items"]
    assert household["other"].name not in response.content.decode()


def test_an_unknown_list_is_not_found(staff, household):
    assert (
        staff("office_clerk").get(f"/staff/customers/{household['customer'].code}/nonsense/").status_code
        == 404
    )


def test_the_whole_ledger_has_the_same_running_balance(staff, household):
    client = staff("office_clerk")
    code = household["customer"].code
    short = client.get(f"/staff/customers/{code}/").context["ledger"]
    full = client.get(f"/staff/customers/{code}/ledger/").context["items"]

    assert [(e.pk, e.balance_after) for e in full] == [(e.pk, e.balance_after) for e in short]


def customer_page_queries(client, customer) -> int:
    client.get(f"/staff/customers/{customer.code}/")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/staff/customers/{customer.code}/").status_code == 200
    return len(captured)


def test_the_customer_page_costs_the_same_queries_for_2_and_40_invoices(staff, tariff, today):
    counts = []
    for invoices in (2, 40):
        customer = factories.make_customer(name=f"Klient {invoices}")
        make_history(customer, tariff.group, invoices=invoices, step_days=3, today=today)
        for invoice in customer.invoices.order_by("id")[: invoices // 2]:
            payment_record(
                actor=SYSTEM, customer=customer, amount=invoice.total_gross, received_on=invoice.issue_date
            )
        user = User.objects.create_user(username=f"u{invoices}", email=f"u{invoices}@example.org")
        CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
        counts.append(customer_page_queries(staff("office_clerk"), customer))

    assert counts[0] == counts[1]


# --- who may see it ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office_clerk", 200),
        ("administrator", 200),
        ("auditor", 200),
        ("meter_reader", 403),
        ("customer_a", 403),
    ],
)
def test_who_may_search_and_see_customers(staff, household, role, status):
    client = staff(role)
    code = household["customer"].code

    assert client.get("/staff/customers/").status_code == status
    assert client.get("/staff/customers/", {"q": "Nowak"}).status_code == status
    assert client.get(f"/staff/customers/{code}/").status_code == status
    assert client.get(f"/staff/customers/{code}/invoices/").status_code == status


def test_the_meter_reader_sees_no_customer_data(staff, household):
    response = staff("meter_reader").get(f"/staff/customers/{household['customer'].code}/")

    assert response.status_code == 403
    assert household["customer"].name not in response.content.decode()


def test_anonymous_people_are_sent_to_the_staff_login(client, household):
    code = household["customer"].code
    for url in ["/staff/customers/?q=Nowak", f"/staff/customers/{code}/", f"/staff/customers/{code}/ledger/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/?next=")
