"""Payments in the back-office: the list, a payment recorded by hand, unmatched payments and assigning them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from ebok.audit.models import AuditEntry
from ebok.common.actor import SYSTEM
from ebok.payments.models import EntryKind, LedgerEntry, Payment, PaymentMethod
from ebok.payments.selectors import balance_for_customer
from ebok.payments.services import opening_balance_record, payment_record
from tests import factories
from tests.backoffice.test_debtors import monthly_invoices

pytestmark = pytest.mark.django_db
NEW = "/staff/payments/new/"


@pytest.fixture
def customer(cast, tariff, today):
    customer = factories.make_customer(code="700001", name="Jan Kowalski")
    opening_balance_record(actor=SYSTEM, customer=customer, amount=D("2000.00"), on=dt.date(2025, 1, 1))
    return customer


def payment_form(**overrides):
    data = {
        "customer_code": "700001",
        "amount": "1 234,56",
        "received_on": "30.06.2025",
        "method": PaymentMethod.CASH,
        "title": "wpłata w kasie",
        "invoice_number": "",
        "key": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


# --- recording a payment by hand ------------------------------------------------------------------------


def test_a_payment_recorded_by_hand_is_on_the_ledger_and_lowers_the_balance(staff, customer):
    response = staff("office_clerk").post(NEW, payment_form())

    assert response.status_code == 302
    assert response["Location"] == "/staff/payments/"
    payment = Payment.objects.get()
    assert (payment.customer, payment.amount, payment.received_on, payment.method) == (
        customer,
        D("1234.56"),
        dt.date(2025, 6, 30),
        PaymentMethod.CASH,
    )
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.kind, entry.amount) == (EntryKind.PAYMENT, D("-1234.56"))
    assert balance_for_customer(customer) == D("765.44")
    audit = AuditEntry.objects.get(action="payment.recorded")
    assert (audit.object_id, audit.actor, audit.channel, audit.customer_id) == (
        str(payment.pk),
        payment.created_by,
        "backoffice",
        customer.pk,
    )


def test_sending_the_form_twice_records_one_payment(staff, customer):
    client = staff("office_clerk")
    data = payment_form()

    client.post(NEW, data)
    second = client.post(NEW, data)

    assert second.status_code == 302
    assert Payment.objects.count() == 1
    assert balance_for_customer(customer) == D("765.44")


def test_the_invoice_named_must_belong_to_the_customer(staff, customer, tariff):
    other = factories.make_customer(code="700002")
    (foreign,) = monthly_invoices(other, tariff.group, [dt.date(2025, 5, 31)])
    (own,) = monthly_invoices(customer, tariff.group, [dt.date(2025, 5, 31)])
    client = staff("office_clerk")

    refused = client.post(NEW, payment_form(invoice_number=foreign.number))
    accepted = client.post(NEW, payment_form(invoice_number=own.number.lower(), amount="52,27"))

    assert refused.status_code == 400
    assert "invoice_number" in refused.context["form"].errors
    assert accepted.status_code == 302
    assert Payment.objects.get().invoice == own


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_code", "999999"),
        ("customer_code", "abc"),
        ("amount", "0"),
        ("amount", "-5"),
        ("amount", "12,345"),
        ("amount", "dużo"),
        ("received_on", "01.07.2025"),  # tomorrow
        ("received_on", "31.02.2025"),
        ("key", "not-a-key"),
    ],
)
def test_wrong_input_is_refused_and_records_nothing(staff, customer, field, value):
    response = staff("office_clerk").post(NEW, payment_form(**{field: value}))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Payment.objects.count() == 0
    assert 'aria-invalid="true"' in response.content.decode()


def test_the_form_starts_with_today_and_a_fresh_key(staff, customer):
    response = staff("office_clerk").get(NEW)

    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial["received_on"] == dt.date(2025, 6, 30)
    assert uuid.UUID(form.initial["key"])


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office_clerk", 200),
        ("administrator", 200),
        ("auditor", 403),
        ("meter_reader", 403),
        ("customer_a", 403),
    ],
)
def test_who_may_record_a_payment(staff, customer, role, status):
    client = staff(role)

    assert client.get(NEW).status_code == status
    assert client.post(NEW, payment_form()).status_code == (302 if status == 200 else 403)
    assert Payment.objects.count() == (1 if status == 200 else 0)


# --- the list of payments -------------------------------------------------------------------------------


@pytest.fixture
def some_payments(customer):
    for day, amount, method, who in [
        (dt.date(2025, 6, 1), "10.00", PaymentMethod.TRANSFER, customer),
        (dt.date(2025, 6, 10), "20.00", PaymentMethod.CASH, customer),
        (dt.date(2025, 6, 20), "30.00", PaymentMethod.TRANSFER, None),
    ]:
        payment_record(actor=SYSTEM, customer=who, amount=D(amount), received_on=day, method=method)


def listed(response):
    return [p.amount for p in response.context["page"]]


def test_the_list_shows_payments_newest_first_and_filters_them(staff, some_payments):
    client = staff("auditor")

    assert listed(client.get("/staff/payments/")) == [D("30.00"), D("20.00"), D("10.00")]
    assert listed(client.get("/staff/payments/", {"status": "unmatched"})) == [D("30.00")]
    assert listed(client.get("/staff/payments/", {"status": "matched", "method": "transfer"})) == [D("10.00")]
    assert listed(client.get("/staff/payments/", {"date_from": "05.06.2025", "date_to": "2025-06-15"})) == [
        D("20.00")
    ]


def test_a_wrong_filter_says_so(staff, some_payments):
    response = staff("office_clerk").get(
        "/staff/payments/", {"date_from": "20.06.2025", "date_to": "01.06.2025"}
    )

    assert response.status_code == 400
    assert "date_to" in response.context["form"].errors


def test_the_pages_of_the_list_keep_the_filters(staff, customer):
    for day in range(1, 29):
        payment_record(actor=SYSTEM, customer=customer, amount=D("1.00"), received_on=dt.date(2025, 6, day))
        for _ in range(2):
            payment_record(
                actor=SYSTEM,
                customer=customer,
                amount=D("2.00"),
                received_on=dt.date(2025, 6, day),
                method=PaymentMethod.CASH,
            )

    response = staff("office_clerk").get("/staff/payments/", {"method": "cash"})

    assert response.context["page"].paginator.count == 56
    assert 'href="?method=cash&amp;page=2"' in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [("office_clerk", 200), ("administrator", 200), ("auditor", 200), ("meter_reader", 403)],
)
def test_who_may_see_the_payments(staff, role, status, today):
    client = staff(role)

    assert client.get("/staff/payments/").status_code == status
    assert client.get("/staff/payments/unmatched/").status_code == status


def test_anonymous_visitors_are_sent_to_the_staff_login(client, today):
    for url in ("/staff/payments/", NEW, "/staff/payments/unmatched/", "/staff/payments/1/assign/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")


# --- unmatched payments -------------------------------------------------------------------------------


@pytest.fixture
def unmatched(customer):
    return payment_record(
        actor=SYSTEM,
        amount=D("150.00"),
        received_on=dt.date(2025, 6, 20),
        title="woda za maj kod 700001",
        counterparty_name="KOWALSKI JAN UL POLNA 1",
        counterparty_account="59109010140000071219812999",
    )


def test_unmatched_payments_are_listed_with_suggested_customers(staff, unmatched, customer):
    factories.make_customer(code="700005", name="Jan Kowalski")  # the same name: suggested too
    factories.make_customer(code="700006", name="Anna Kowalska")  # one word in common: not suggested

    response = staff("office_clerk").get("/staff/payments/unmatched/")

    (payment,) = response.context["page"]
    assert [(c.customer.code, c.reason) for c in payment.candidates] == [
        ("700001", "code"),
        ("700005", "name"),
    ]
    page = response.content.decode()
    assert "KOWALSKI JAN UL POLNA 1" in page
    assert "woda za maj kod 700001" in page


def test_a_customer_who_paid_from_the_same_account_before_is_suggested(staff, unmatched, customer):
    other = factories.make_customer(code="700007", name="Zofia Nowak")
    payment_record(
        actor=SYSTEM,
        customer=other,
        amount=D("5.00"),
        received_on=dt.date(2025, 5, 1),
        counterparty_account="59109010140000071219812999",
    )

    response = staff("office_clerk").get(f"/staff/payments/{unmatched.pk}/assign/")

    assert response.status_code == 200
    assert ("700007", "account") in [
        (c.customer.code, c.reason) for c in response.context["payment"].candidates
    ]


def test_assigning_a_payment_books_it_on_the_customers_ledger(staff, unmatched, customer):
    response = staff("office_clerk").post(
        f"/staff/payments/{unmatched.pk}/assign/", {"customer_code": "700001"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/payments/unmatched/"
    unmatched.refresh_from_db()
    assert unmatched.customer == customer
    assert LedgerEntry.objects.get(payment=unmatched).amount == D("-150.00")
    assert balance_for_customer(customer) == D("1850.00")
    audit = AuditEntry.objects.get(action="payment.assigned")
    assert (audit.object_id, audit.channel, audit.data["customer"]) == (
        str(unmatched.pk),
        "backoffice",
        "700001",
    )


def test_assigning_to_an_unknown_code_shows_the_error(staff, unmatched):
    response = staff("office_clerk").post(
        f"/staff/payments/{unmatched.pk}/assign/", {"customer_code": "123456"}
    )

    assert response.status_code == 400
    assert "customer_code" in response.context["form"].errors
    unmatched.refresh_from_db()
    assert unmatched.customer is None


def test_a_payment_already_assigned_is_not_assigned_again(staff, unmatched, customer):
    other = factories.make_customer(code="700008")
    client = staff("office_clerk")
    client.post(f"/staff/payments/{unmatched.pk}/assign/", {"customer_code": "700001"})

    response = client.post(f"/staff/payments/{unmatched.pk}/assign/", {"customer_code": other.code})

    assert response.status_code == 302
    unmatched.refresh_from_db()
    assert unmatched.customer == customer
    assert LedgerEntry.objects.filter(payment=unmatched).count() == 1


def test_the_auditor_sees_unmatched_payments_but_cannot_assign_them(staff, unmatched):
    client = staff("auditor")

    page = client.get("/staff/payments/unmatched/")
    post = client.post(f"/staff/payments/{unmatched.pk}/assign/", {"customer_code": "700001"})

    assert page.status_code == 200
    assert f"/staff/payments/{unmatched.pk}/assign/" not in page.content.decode()
    assert post.status_code == 403
    unmatched.refresh_from_db()
    assert unmatched.customer is None


@pytest.mark.parametrize("role", ["meter_reader", "customer_a"])
def test_others_cannot_assign_payments(staff, unmatched, role):
    response = staff(role).post(f"/staff/payments/{unmatched.pk}/assign/", {"customer_code": "700001"})

    assert response.status_code == 403
