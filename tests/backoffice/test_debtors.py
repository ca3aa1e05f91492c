"""Debtors: open and overdue amounts by age, statutory / commercial interest (billing-rules §8), CSV, access."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.customers.models import CustomerKind
from ebok.payments.debtors import debtors
from ebok.payments.services import opening_balance_record, payment_record
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/staff/debtors/"


def monthly_invoices(customer, group, ends: list[dt.date]):
    """One invoice of 5 m³ per month (no sewage): 31.20 water + 17.20 subscription = 48.40 net, 3.87 VAT,
    52.27 gross each, issued on the reading day and due 14 days later."""
    opening = ends[0].replace(day=1) - dt.timedelta(days=1)
    point = factories.make_point(customer, group, opening_date=opening, has_sewage=False)
    meter = factories.make_meter(point, reading="0")
    invoices = []
    for n, day in enumerate(ends, start=1):
        reading_submit(actor=SYSTEM, meter=meter, value=str(5 * n), date=day, source=Source.READER)
        invoices.append(invoice_issue(actor=SYSTEM, service_point=point, up_to=day, issue_date=day))
    assert [i.total_gross for i in invoices] == [D("52.27")] * len(ends)
    return invoices


MONTH_ENDS = [
    dt.date(2025, 2, 28),
    dt.date(2025, 3, 31),
    dt.date(2025, 4, 30),
    dt.date(2025, 5, 31),
    dt.date(2025, 6, 30),
]


@pytest.fixture
def owing(cast, tariff, today):
    """Three debtors on 30 June 2025: a consumer with five unpaid invoices (due 14 Mar, 14 Apr, 14 May,
    14 Jun, 14 Jul), a business with one (due 14 May), and a consumer who paid 60.00 towards two."""
    person = factories.make_customer(code="800001", name="Jan Dłużnik")
    monthly_invoices(person, tariff.group, MONTH_ENDS)
    business = factories.make_customer(code="800002", name="Sklep Sp. z o.o.", kind=CustomerKind.BUSINESS)
    monthly_invoices(business, tariff.group, [dt.date(2025, 4, 30)])
    partly = factories.make_customer(code="800003", name="Ewa Częściowa")
    monthly_invoices(partly, tariff.group, MONTH_ENDS[:2])
    payment_record(actor=SYSTEM, customer=partly, amount=D("60.00"), received_on=dt.date(2025, 5, 5))
    return {"person": person, "business": business, "partly": partly}


def by_code(rows):
    return {row.code: row for row in rows}


def test_open_amounts_are_split_by_days_past_due_with_the_oldest_due_date(owing):
    row = by_code(debtors(dt.date(2025, 6, 30)))["800001"]

    # due 14.03 → 108 days late, 14.04 → 77, 14.05 → 47, 14.06 → 16, 14.07 → not due yet
    assert row.buckets == {
        "not_due": D("52.27"),
        "1_30": D("52.27"),
        "31_60": D("52.27"),
        "61_90": D("52.27"),
        "over_90": D("52.27"),
    }
    assert (row.open_total, row.overdue_total) == (D("261.35"), D("209.08"))
    assert row.oldest_due == dt.date(2025, 3, 14)


def test_consumers_owe_statutory_interest_per_item_split_at_the_rate_change(owing):
    row = by_code(debtors(dt.date(2025, 6, 30)))["800001"]

    # Statutory interest: 11.25% until 7 May 2025, 10.75% from 8 May; 52.27 open on each invoice.
    #   due 14.03: 54 days × 11.25% (15.03–07.05) + 54 × 10.75% (08.05–30.06) = 0.86997 + 0.83131 = 1.70128 → 1.70
    #   due 14.04: 23 days × 11.25% (15.04–07.05) + 54 × 10.75%               = 0.37054 + 0.83131 = 1.20185 → 1.20
    #   due 14.05: 47 days × 10.75%                                                               = 0.72355 → 0.72
    #   due 14.06: 16 days × 10.75%                                                               = 0.24631 → 0.25
    #   due 14.07: not due                                                                                   0.00
    assert [item.interest for item in row.items] == [D("1.70"), D("1.20"), D("0.72"), D("0.25"), D("0.00")]
    assert row.interest == D("3.87")


def test_businesses_owe_interest_in_commercial_transactions(owing):
    row = by_code(debtors(dt.date(2025, 6, 30)))["800002"]

    # 52.27 due 14.05.2025, 47 days × 15.75% (reference 5.75% on 1 Jan 2025 + 10 pp) = 1.06008 → 1.06
    assert (row.overdue_total, row.interest) == (D("52.27"), D("1.06"))
    assert row.buckets["31_60"] == D("52.27")


def test_interest_is_on_what_is_still_open_after_partial_payment(owing):
    row = by_code(debtors(dt.date(2025, 6, 30)))["800003"]

    # 60.00 paid on 5 May settles the invoice due 14.03 and 7.73 of the one due 14.04: 44.54 left,
    # 23 days × 11.25% + 54 × 10.75% on 44.54 = 0.31574 + 0.70837 = 1.02411 → 1.02
    assert (row.open_total, row.oldest_due, row.interest) == (D("44.54"), dt.date(2025, 4, 14), D("1.02"))
    assert row.buckets["61_90"] == D("44.54")


def test_the_list_is_as_the_ledger_stood_on_an_earlier_day(owing):
    rows = by_code(debtors(dt.date(2025, 4, 20)))

    # On 20 April: the person's invoices of 28.02, 31.03 (due 14.03, 14.04); the business had no invoice yet;
    # the third customer's 60.00 was not paid yet.
    assert set(rows) == {"800001", "800003"}
    assert rows["800001"].buckets["31_60"] == D("52.27")  # due 14.03: 37 days
    assert rows["800001"].buckets["1_30"] == D("52.27")  # due 14.04: 6 days


def test_customers_who_paid_everything_are_not_debtors(cast, tariff, today):
    customer = factories.make_customer(code="800009")
    (invoice,) = monthly_invoices(customer, tariff.group, [dt.date(2025, 5, 31)])
    payment_record(
        actor=SYSTEM, customer=customer, amount=invoice.total_gross, received_on=dt.date(2025, 6, 1)
    )

    assert "800009" not in by_code(debtors(dt.date(2025, 6, 30)))


def test_the_number_of_queries_does_not_grow_with_the_number_of_debtors(cast, today):
    def make(n):
        for _ in range(n):
            opening_balance_record(
                actor=SYSTEM, customer=factories.make_customer(), amount=D("100.00"), on=dt.date(2025, 3, 1)
            )
        with CaptureQueriesContext(connection) as queries:
            rows = debtors(dt.date(2025, 6, 30))
        return len(rows), len(queries)

    two = make(2)
    five = make(3)

    assert (two[0], five[0]) == (2, 5)
    assert two[1] == five[1] <= 6


def test_the_page_lists_debtors_most_overdue_first_with_totals(staff, owing):
    response = staff("office_clerk").get(URL)

    assert response.status_code == 200
    assert [row.code for row in response.context["page"]] == ["800001", "800002", "800003"]
    summary = response.context["summary"]
    assert (summary.debtors, summary.open_total, summary.interest) == (
        3,
        D("358.16"),
        D("5.95"),
    )  # 261.35 + 52.27 + 44.54; 3.87 + 1.06 + 1.02
    assert "800002" in response.content.decode()


def test_a_day_in_the_future_is_refused(staff, owing):
    response = staff("office_clerk").get(URL, {"as_of": "01.07.2030"})

    assert response.status_code == 400
    assert response.context["as_of"] == dt.date(2025, 6, 30)


def test_the_list_downloads_as_csv(staff, owing):
    response = staff("auditor").get(URL, {"format": "csv", "as_of": "30.06.2025"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["customer_code", "name", "kind", "open", "overdue"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["customer_code"] == "800001"
    assert (first["open"], first["over_90"], first["interest"], first["interest_kind"]) == (
        "261,35",
        "52,27",
        "3,87",
        "statutory",
    )
    assert first["oldest_due_date"] == "2025-03-14"


@pytest.mark.parametrize(
    ("role", "status"),
    [("office_clerk", 200), ("administrator", 200), ("auditor", 200), ("meter_reader", 403)],
)
def test_who_may_see_the_debtors(staff, role, status, today):
    assert staff(role).get(URL).status_code == status


def test_customers_cannot_see_the_debtors(staff, today):
    assert staff("customer_a").get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_the_staff_login(client, today):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_a_debt_older_than_the_rate_table_shows_no_interest_instead_of_a_wrong_one(staff, cast, today):
    old = factories.make_customer(code="800010")
    opening_balance_record(actor=SYSTEM, customer=old, amount=D("100.00"), on=dt.date(2015, 6, 1))

    response = staff("office_clerk").get(URL)

    (row,) = response.context["page"]
    assert row.interest is None  # statutory interest for delay starts on 1 Jan 2016 in the table
    assert (response.context["summary"].interest, response.context["summary"].interest_unknown) == (
        D("0.00"),
        1,
    )
