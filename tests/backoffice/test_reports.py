"""Reports with charts: readings per window and source, invoices and payments per month, debt at month ends;
CSV of each table; the year selector; access."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest

from ebok.common.actor import SYSTEM
from ebok.payments.services import payment_record
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories
from tests.backoffice.test_debtors import monthly_invoices

pytestmark = pytest.mark.django_db
REPORTS = ["readings", "invoices", "payments", "debt"]


@pytest.fixture
def history(cast, tariff, today):
    """2025 up to 30 June: customer A read by the meter reader and invoiced monthly (52.27 each, due 14 days
    later) from February to May, paid 60.00 on 5 May; customer B sent a reading by the portal and one by
    phone (not invoiced); customer C has one unpaid invoice of November 2024; one payment is unmatched."""
    a = factories.make_customer(code="900001")
    monthly_invoices(
        a,
        tariff.group,
        [dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 5, 31)],
    )
    payment_record(actor=SYSTEM, customer=a, amount=D("60.00"), received_on=dt.date(2025, 5, 5))
    b = factories.make_customer(code="900002")
    meter = factories.make_meter(factories.make_point(b, tariff.group, opening_date=dt.date(2025, 1, 31)))
    reading_submit(actor=SYSTEM, meter=meter, value="3", date=dt.date(2025, 4, 15), source=Source.PORTAL)
    reading_submit(actor=SYSTEM, meter=meter, value="6", date=dt.date(2025, 6, 15), source=Source.PHONE)
    c = factories.make_customer(code="900003")
    monthly_invoices(c, tariff.group, [dt.date(2024, 11, 30)])
    payment_record(actor=SYSTEM, amount=D("15.00"), received_on=dt.date(2025, 6, 20), title="?")


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_readings_are_counted_per_reading_window_and_source(staff, history):
    response = staff("office_clerk").get("/staff/reports/readings/", {"year": "2025"})

    data = response.context["data"]
    # the page's columns: only the sources with readings this year (the CSV has all of them)
    assert [value for value, _label in data["sources"]] == ["reader", "portal", "phone"]
    assert [(label, counts, row.total) for label, counts, row in data["rows"]] == [
        ("1: 01.01–30.04", [3, 1, 0], 4),
        ("2: 01.05–31.08", [1, 0, 1], 2),
        ("3: 01.09–31.12", [0, 0, 0], 0),
    ]
    assert (data["totals"], data["total"]) == ([4, 1, 1], 6)
    assert [(bar.label, bar.value) for bar in response.context["chart"].bars] == [
        ("1", 4),
        ("2", 2),
        ("3", 0),
    ]


def test_the_year_selector_shows_another_year(staff, history):
    response = staff("office_clerk").get("/staff/reports/readings/", {"year": "2024"})

    assert response.context["year"] == 2024
    assert [row.total for _label, _counts, row in response.context["data"]["rows"]] == [0, 0, 1]
    assert [choice[0] for choice in response.context["form"].fields["year"].choices] == [2025, 2024]


def test_a_year_without_data_falls_back_to_the_current_one(staff, history):
    response = staff("office_clerk").get("/staff/reports/readings/", {"year": "1999"})

    assert response.status_code == 200
    assert response.context["year"] == 2025


def test_invoices_and_amounts_per_month(staff, history):
    response = staff("office_clerk").get("/staff/reports/invoices/")  # the current year by default

    rows = response.context["data"]["rows"]
    assert [(row.month.month, row.invoices, row.gross) for _label, row in rows] == [
        (1, 0, D("0.00")),
        (2, 1, D("52.27")),
        (3, 1, D("52.27")),
        (4, 1, D("52.27")),
        (5, 1, D("52.27")),
        (6, 0, D("0.00")),  # up to the current month
    ]
    totals = response.context["data"]["totals"]
    assert (totals["invoices"], totals["net"], totals["vat"], totals["gross"]) == (
        4,
        D("193.60"),
        D("15.48"),
        D("209.08"),
    )


def test_payments_per_month_with_the_unmatched_part(staff, history):
    response = staff("office_clerk").get("/staff/reports/payments/")

    rows = {row.month.month: row for _label, row in response.context["data"]["rows"]}
    assert (rows[5].count, rows[5].total, rows[5].matched, rows[5].unmatched) == (
        1,
        D("60.00"),
        D("60.00"),
        0,
    )
    assert (rows[6].count, rows[6].total, rows[6].matched, rows[6].unmatched) == (
        1,
        D("15.00"),
        0,
        D("15.00"),
    )
    assert rows[1].count == 0


def test_debt_at_each_month_end_and_its_age_today(staff, history):
    response = staff("office_clerk").get("/staff/reports/debt/")

    rows = [
        (row.day, row.debtors, row.open_total, row.overdue_total)
        for _label, row in response.context["data"]["rows"]
    ]
    c = D("52.27")  # customer C's invoice of November 2024, overdue since 14 Dec 2024
    assert rows == [
        (dt.date(2025, 1, 31), 1, c, c),
        (dt.date(2025, 2, 28), 2, c + D("52.27"), c),  # A's first invoice, due 14 March
        (dt.date(2025, 3, 31), 2, c + D("104.54"), c + D("52.27")),
        (dt.date(2025, 4, 30), 2, c + D("156.81"), c + D("104.54")),
        # 60.00 paid on 5 May: 44.54 left on the second invoice; the fourth is due 14 June
        (dt.date(2025, 5, 31), 2, c + D("149.08"), c + D("96.81")),
        (dt.date(2025, 6, 30), 2, c + D("149.08"), c + D("149.08")),
    ]
    # today: not due, 1–30, 31–60, 61–90, over 90 days past the due date
    assert [amount for _label, amount in response.context["data"]["now_buckets"]] == [
        D("0.00"),
        D("52.27"),
        D("52.27"),
        D("44.54"),
        c,
    ]


@pytest.mark.parametrize(
    ("report", "header", "row"),
    [
        ("readings", ["window", "reader", "portal"], ["1: 01.01–30.04", "3", "1"]),
        (
            "invoices",
            ["month", "invoices", "corrections", "net", "vat", "gross"],
            ["2025-02", "1", "0", "48,40", "3,87", "52,27"],
        ),
        (
            "payments",
            ["month", "payments", "total", "matched", "unmatched"],
            ["2025-05", "1", "60,00", "60,00", "0,00"],
        ),
        ("debt", ["day", "debtors", "open", "overdue"], ["2025-05-31", "2", "201,35", "149,08"]),
    ],
)
def test_each_table_downloads_as_csv(staff, history, report, header, row):
    response = staff("auditor").get("/staff/reports/", {"format": "csv", "report": report, "year": "2025"})

    rows = csv_rows(response)
    assert rows[0][: len(header)] == header
    assert row in [r[: len(row)] for r in rows[1:]]
    assert f'filename="{report}-2025.csv"' in response["Content-Disposition"]


def test_an_unknown_report_is_not_found(staff, today):
    client = staff("office_clerk")

    assert client.get("/staff/reports/nothing/").status_code == 404
    assert client.get("/staff/reports/", {"format": "csv", "report": "nothing"}).status_code == 404


def test_the_index_links_every_report(staff, today):
    content = staff("office_clerk").get("/staff/reports/").content.decode()

    for name in REPORTS:
        assert f'href="/staff/reports/{name}/"' in content


@pytest.mark.parametrize(
    ("role", "status"),
    [("office_clerk", 200), ("administrator", 200), ("auditor", 200), ("meter_reader", 403)],
)
def test_who_may_see_the_reports(staff, role, status, today):
    client = staff(role)

    assert client.get("/staff/reports/").status_code == status
    for name in REPORTS:
        assert client.get(f"/staff/reports/{name}/").status_code == status


def test_anonymous_visitors_are_sent_to_the_staff_login(client, today):
    response = client.get("/staff/reports/debt/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
