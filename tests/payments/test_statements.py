"""Bank statements: MT940 in several Polish :86: layouts and CSV, matching, all-or-nothing, re-import."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.payments.models import Payment
from ebok.payments.selectors import balance_for_customer
from ebok.payments.statements import BANK_FORMATS, statement_import
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "statements"


@pytest.fixture
def customers(tariff, today):
    first = factories.make_customer(code="700001", name="Jan Kowalski")
    second = factories.make_customer(code="700002", name="Anna Nowak")
    third = factories.make_customer(code="700003", name="Ewa Zielińska")
    point = factories.make_point(second, tariff.group, opening_date=dt.date(2025, 2, 28), has_sewage=False)
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 3, 31), source=Source.READER)
    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))
    assert invoice.number == "FV/2025/000001"
    return first, second, third


def _import(name, fmt):
    return statement_import(actor=SYSTEM, raw=(FILES / name).read_bytes(), fmt=BANK_FORMATS[fmt])


def test_mt940_with_tilde_subfields_matches_by_account_invoice_number_and_customer_code(customers):
    first, second, third = customers

    report = _import("mt940_tilde.sta", "mt940")

    assert (
        report.transactions,
        report.imported,
        report.matched,
        report.unmatched,
        report.debits_skipped,
    ) == (5, 4, 3, 1, 1)
    assert Payment.objects.get(bank_reference__endswith="PKO0001").customer == first  # virtual account in ~27
    named = Payment.objects.get(bank_reference__endswith="PKO0002")
    assert (named.customer, named.invoice.number) == (
        second,
        "FV/2025/000001",
    )  # "FV 2025 000001" in the title
    assert (
        Payment.objects.get(bank_reference__endswith="PKO0003").customer == third
    )  # code split across ~20/~21
    assert Payment.objects.get(bank_reference__endswith="PKO0004").customer is None
    assert balance_for_customer(first) == D("-100.00")


def test_mt940_in_cp852_with_another_separator_and_a_split_account_number(customers):
    first, *_ = customers

    report = _import("mt940_lt_cp852.sta", "mt940-cp852-lt")

    assert (report.imported, report.matched, report.unmatched) == (2, 1, 1)
    payment = Payment.objects.get(customer=first)
    assert payment.amount == D("120.50")
    assert payment.counterparty_name == "Katarzyna Wójcik Łosień 3"
    assert Payment.objects.get(customer__isnull=True).counterparty_name == "Zażółć Gęślą"


def test_csv_statement_matches_and_reimport_changes_nothing(customers):
    first, _second, third = customers

    report = _import("statement.csv", "csv")
    again = _import("statement.csv", "csv")

    assert (report.imported, report.matched, report.unmatched) == (3, 2, 1)
    assert (again.imported, again.already_imported) == (0, 3)
    assert Payment.objects.count() == 3
    assert balance_for_customer(third) == D("-30.00")


def test_reimporting_an_mt940_statement_changes_nothing(customers):
    _import("mt940_tilde.sta", "mt940")

    again = _import("mt940_tilde.sta", "mt940")

    assert (again.imported, again.already_imported) == (0, 4)
    assert Payment.objects.count() == 4


def test_malformed_mt940_is_refused_with_the_line_number_and_nothing_imported(customers, tmp_path):
    lines = (FILES / "mt940_tilde.sta").read_text().splitlines()
    lines[6] = ":61:25041X0410C000000000052,27NTRF"
    path = tmp_path / "broken.sta"
    path.write_text("\r\n".join(lines))
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import-bank-statement", str(path), "--format", "mt940", stderr=err)

    assert "line 7: malformed :61:" in err.getvalue()
    assert Payment.objects.count() == 0


def test_malformed_csv_is_refused_with_the_line_number(customers, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("date;amount;title\n2025-04-10;10,00;ok\n2025-04-11;dziesięć;bad\n")

    report = statement_import(actor=SYSTEM, raw=path.read_bytes(), fmt=BANK_FORMATS["csv"])

    assert report.errors == [(3, "not an amount: 'dziesięć'")]
    assert Payment.objects.count() == 0


def test_command_reports_the_summary(customers):
    out = io.StringIO()

    call_command("import-bank-statement", str(FILES / "statement.csv"), "--format", "csv", stdout=out)

    assert "3 payments imported (137.50 zł), 2 matched, 1 unmatched" in out.getvalue()
