"""Importing bank statements through the back-office: every fixture layout matched right, the report,
re-import changing nothing, malformed and oversized files refused, access."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from ebok.audit.models import AuditEntry
from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.payments.models import LedgerEntry, Payment
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/staff/payments/import/"
FILES = Path(__file__).parent.parent / "payments" / "statements"


@pytest.fixture
def customers(cast, tariff, today):
    """700001 Jan Kowalski, 700002 Anna Nowak (with invoice FV/2025/000001), 700003 Ewa Zielińska."""
    first = factories.make_customer(code="700001", name="Jan Kowalski")
    second = factories.make_customer(code="700002", name="Anna Nowak")
    third = factories.make_customer(code="700003", name="Ewa Zielińska")
    point = factories.make_point(second, tariff.group, opening_date=dt.date(2025, 2, 28), has_sewage=False)
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 3, 31), source=Source.READER)
    assert (
        invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31)).number
        == "FV/2025/000001"
    )
    return {"700001": first, "700002": second, "700003": third}


def english(client):
    """The messages checked below are the English originals (Polish is the default language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(client, name: str, fmt: str, *, content: bytes | None = None):
    data = (FILES / name).read_bytes() if content is None else content
    return client.post(URL, {"file": SimpleUploadedFile(name, data), "format": fmt})


def imported(client, name: str, fmt: str) -> dict:
    response = upload(client, name, fmt)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page = client.get(URL)
    assert page.status_code == 200
    return page.context["report"]


def customer_of(reference_end: str) -> str | None:
    payment = Payment.objects.select_related("customer").get(bank_reference__endswith=reference_end)
    return payment.customer.code if payment.customer else None


COUNTS = (
    "transactions",
    "imported",
    "matched_by_account",
    "matched_by_invoice",
    "matched_by_code",
    "unmatched",
    "debits_skipped",
)


@pytest.mark.parametrize(
    ("name", "fmt", "counts", "expected"),
    [
        (
            # ~ subfields on one line each (PKO-like): account in ~27, "FV 2025 000001" in ~20, code split ~20/~21
            "mt940_tilde.sta",
            "mt940",
            (5, 4, 1, 1, 1, 1, 1),
            {"PKO0001": "700001", "PKO0002": "700002", "PKO0003": "700003", "PKO0004": None},
        ),
        (
            # < subfields in CP852 (ING-like): the account number typed into the title, split across <20/<21
            "mt940_lt_cp852.sta",
            "mt940-cp852-lt",
            (2, 2, 1, 0, 0, 1, 0),
            {"ING77": "700001", "ING78": None},
        ),
        (
            # ^ subfields wrapped at 65 characters (mBank-like), the account in ^29 broken across lines, the
            # invoice number split ^20/^21, and an unstructured :86: with the code broken across lines
            "mt940_caret_multiline.sta",
            "mt940-caret",
            (5, 4, 1, 1, 1, 1, 1),
            {
                "MB20250415001": "700003",
                "MB20250415002": "700002",
                "MB20250415003": "700001",
                "MB20250415004": None,
            },
        ),
        (
            "statement.csv",
            "csv",
            (3, 3, 1, 0, 1, 1, 0),
            {"TX-1": "700001", "TX-2": "700003", "TX-3": None},
        ),
    ],
)
def test_each_statement_layout_is_matched_by_account_invoice_number_or_customer_code(
    staff, customers, name, fmt, counts, expected
):
    report = imported(staff("office_clerk"), name, fmt)

    assert tuple(report[key] for key in COUNTS) == counts
    assert {ref: customer_of(ref) for ref in expected} == expected


def test_a_cp1250_csv_with_two_equal_transfers_imports_both(staff, customers):
    report = imported(staff("office_clerk"), "statement_cp1250.csv", "csv-cp1250")

    assert tuple(report[key] for key in COUNTS) == (6, 5, 1, 1, 2, 1, 1)
    assert report["total"] == "1366.83"  # 1234.56 + 52.27 + 30.00 + 30.00 + 20.00
    by_title = {p.title: p for p in Payment.objects.select_related("customer", "invoice")}
    assert by_title["Opłata za wodę – I kwartał"].customer.code == "700001"  # by account
    assert by_title["Faktura FV/2025/000001"].invoice.number == "FV/2025/000001"
    assert Payment.objects.filter(customer__code="700003").count() == 2
    assert by_title["Wpłata"].counterparty_name == "Żaneta Źdźbło"
    assert by_title["Wpłata"].customer is None


def test_the_report_lists_the_imported_payments_and_links_the_unmatched_ones(staff, customers):
    client = staff("office_clerk")
    upload(client, "mt940_caret_multiline.sta", "mt940-caret")

    page = client.get(URL)

    content = page.content.decode()
    unmatched = Payment.objects.get(customer__isnull=True)
    assert len(page.context["imported"]) == 4
    assert f"/staff/payments/{unmatched.pk}/assign/" in content
    assert "mt940_caret_multiline.sta" in content
    again = client.get(URL)
    assert again.context["report"] is None  # shown once
    assert (
        again.context["form"]["format"].value() == "mt940-caret"
    )  # the bank's format is kept for the next file


def test_the_unmatched_payment_suggests_the_payer_by_name_and_account(staff, customers):
    client = staff("office_clerk")
    upload(client, "mt940_caret_multiline.sta", "mt940-caret")
    unmatched = Payment.objects.get(customer__isnull=True)

    response = client.get(f"/staff/payments/{unmatched.pk}/assign/")

    # EWA ZIELINSKA paid the first transaction from the same account, matched by her individual account.
    assert [(c.customer.code, c.reason) for c in response.context["payment"].candidates] == [
        ("700003", "account")
    ]


def test_importing_the_same_statement_again_changes_nothing(staff, customers):
    client = english(staff("office_clerk"))
    imported(client, "mt940_tilde.sta", "mt940")
    before = (Payment.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count())

    response = upload(client, "mt940_tilde.sta", "mt940")
    page = client.get(URL)

    assert response.status_code == 302
    assert (Payment.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count()) == before
    report = page.context["report"]
    assert (report["imported"], report["already_imported"]) == (0, 4)
    assert "Every transaction of this statement was imported before" in page.content.decode()


def test_each_imported_payment_is_audited_as_the_clerk(staff, customers, cast):
    imported(staff("office_clerk"), "statement.csv", "csv")

    entries = AuditEntry.objects.filter(action="payment.recorded")
    assert entries.count() == 3
    assert {(e.actor, e.channel) for e in entries} == {(cast["office_clerk"], "backoffice")}
    assert {e.object_id for e in entries} == {str(p.pk) for p in Payment.objects.all()}


def test_a_malformed_mt940_is_refused_with_the_line_number_and_nothing_imported(staff, customers):
    lines = (FILES / "mt940_tilde.sta").read_text().splitlines()
    lines[6] = ":61:25041X0410C000000000052,27NTRF"

    response = upload(
        english(staff("office_clerk")), "broken.sta", "mt940", content="\r\n".join(lines).encode()
    )

    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("Line 7: malformed :61: transaction line")
    assert "Nothing was imported" in error
    assert Payment.objects.count() == 0


def test_a_malformed_csv_is_refused_with_the_line_number(staff, customers):
    content = "date;amount;title\n2025-04-10;10,00;ok\n2025-04-11;dziesięć;bad\n".encode()

    response = upload(english(staff("office_clerk")), "broken.csv", "csv", content=content)

    assert response.status_code == 400
    assert response.context["form"].errors["file"][0].startswith("Line 3: not an amount")
    assert Payment.objects.count() == 0


def test_a_statement_in_the_wrong_encoding_is_refused(staff, customers):
    response = upload(english(staff("office_clerk")), "mt940_lt_cp852.sta", "mt940-lt")  # CP852 as UTF-8

    assert response.status_code == 400
    assert response.context["form"].errors["file"][0].startswith("Line 6: not utf-8 text")
    assert Payment.objects.count() == 0


def test_a_file_over_5_mb_is_refused(staff, customers):
    response = upload(
        english(staff("office_clerk")), "big.sta", "mt940", content=b":20:X\r\n" + b" " * (5 * 1024 * 1024)
    )

    assert response.status_code == 400
    assert "5 MB" in response.context["form"].errors["file"][0]
    assert Payment.objects.count() == 0


def test_a_file_and_a_known_format_are_required(staff, customers):
    response = staff("office_clerk").post(URL, {"format": "camt053"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"file", "format"}


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
def test_who_may_import_statements(staff, customers, role, status):
    client = staff(role)

    assert client.get(URL).status_code == status
    response = upload(client, "statement.csv", "csv")
    assert response.status_code == (302 if status == 200 else 403)
    assert Payment.objects.count() == (3 if status == 200 else 0)


def test_anonymous_visitors_are_sent_to_the_staff_login(client, today):
    response = client.post(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
