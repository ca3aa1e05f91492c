"""Bad input, property-based (hypothesis): whatever people type or files contain, the answer is a clear error
or a correct result, never a server error and never a half-written change (ASVS 5.0 V2.2, V2.3.3, V16.5).

Covered: reading values (the parser and the portal's reading form), amounts (the parser and the back-office's
payment form), customer codes and dates (registration, the website's reading form, the payment form), bank
statements (MT940 and CSV, random bytes and random lines, through the service of `ebok import-bank-statement`)
and the customers' CSV import (`ebok import-customers`). The API has its own fuzzing with Schemathesis
(tests/api/test_schemathesis.py: no server error, nothing outside the schema, on every operation, with tokens).

Examples are few (SETTINGS) and derandomised, so the suite stays fast and a run in CI is repeatable.
"""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ebok.accounts.models import ThrottleEvent
from ebok.accounts.roles import DOMAIN_APPS
from ebok.common.actor import SYSTEM
from ebok.common.parsing import parse_date, parse_decimal
from ebok.customers.imports import COLUMNS, customers_import_csv
from ebok.integrations.services import api_token_create
from ebok.payments.statements import BANK_FORMATS, statement_import
from ebok.readings.services import ReadingInputError, parse_reading_value
from tests import factories

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(SETTINGS, max_examples=30)  # for the slower, full-request properties
SAMPLES = Path(__file__).resolve().parents[1] / "payments" / "statements"
CUSTOMERS_CSV = Path(__file__).resolve().parents[2] / "docs" / "samples" / "customers.csv"


def row_counts(*, without: tuple[str, ...] = ()) -> dict[str, int]:
    """The number of rows of every model of the domain apps (throttle counters aside)."""
    return {
        model._meta.label: model.objects.count()
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
        if model is not ThrottleEvent and model._meta.label not in without
    }


def changed(before: dict[str, int]) -> dict[str, int]:
    """The models whose number of rows is not what it was in `before`, with the difference."""
    after = row_counts()
    return {label: after[label] - count for label, count in before.items() if after[label] != count}


# --- strategies ---------------------------------------------------------------------------------------------

UNICODE_DIGITS = "٠١٢٣٤٥٦٧٨٩０１２３４５６７８９०१२३४५६७८९²³¹"
number_like = st.text(alphabet="0123456789,.-+ \u00a0eE_" + UNICODE_DIGITS, max_size=25)
huge_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-99, 99), st.integers(-(10**12), 10**12)),
    st.floats().map(repr),
)
typed_number = st.one_of(number_like, huge_numbers, st.text(max_size=25))
NUMBER_EXAMPLES = ["1e30", "9" * 40, "1e-999999999", "-0", "1_000", "NaN", "sNaN", "-Infinity", "１２３", "²"]


def with_examples(name: str, values: list[str], **fixed):
    """@example(name=value, **fixed) for each of `values`: the cases that must always be tried."""

    def decorate(test):
        for value in reversed(values):
            test = example(**{name: value}, **fixed)(test)
        return test

    return decorate


# --- typed numbers ------------------------------------------------------------------------------------------


@SETTINGS
@given(text=typed_number)
@with_examples("text", NUMBER_EXAMPLES)
def test_parse_decimal_returns_a_finite_number_or_value_error(text):
    try:
        value = parse_decimal(text)
    except ValueError:
        return
    assert isinstance(value, Decimal) and value.is_finite()
    value.quantize(Decimal("0.001"))  # every caller rounds to grosze or litres: that must not fail


@SETTINGS
@given(text=typed_number, digits=st.integers(min_value=3, max_value=9))
@with_examples("text", NUMBER_EXAMPLES, digits=5)
def test_a_reading_value_is_a_reading_or_a_reading_input_error(text, digits):
    try:
        value = parse_reading_value(text, digits=digits)
    except ReadingInputError as error:
        assert error.code in {"not_a_number", "negative", "too_many_decimals", "out_of_range"}
        return
    assert Decimal(0) <= value < Decimal(10) ** digits
    assert value == value.quantize(Decimal("0.001"))


@SETTINGS
@given(text=st.text(alphabet="0123456789.-/ " + UNICODE_DIGITS, max_size=14) | st.text(max_size=14))
@with_examples("text", ["31.02.2025", "0000-00-00", "9999-12-31", "1.1.1", "٣١.١٢.٢٠٢٥"])
def test_parse_date_returns_a_date_or_value_error(text):
    try:
        day = parse_date(text)
    except ValueError:
        return
    assert 1 <= day.year <= 9999


# --- the portal's reading form ------------------------------------------------------------------------------


@pytest.fixture
def customer_a(client, cast, home_a):
    client.force_login(cast["customer_a"])
    return client


@FEW
@given(text=typed_number)
@with_examples("text", ["1e30", "9" * 20, "130", "1 234,5", "-5", "١٣٠"])
def test_the_portal_reading_form_stores_a_reading_or_explains_the_error(customer_a, home_a, today, text):
    meter, point = home_a["meter"], home_a["point"]
    before = row_counts()
    key = uuid.uuid4().hex

    response = customer_a.post(
        reverse("portal:submit_reading", args=[point.pk]),
        {"step": "confirm", "key": key, f"meter_{meter.pk}": text},
    )

    assert response.status_code in (302, 400), (text, response.status_code)
    if response.status_code == 400:  # not a number: explained on the form, nothing stored
        assert 'class="error"' in response.content.decode()
        assert changed(before) == {}
    else:  # stored now (accepted, held or refused with its reason), or the same value stored before today
        value = parse_reading_value(text, digits=meter.digits)
        assert meter.readings.filter(idempotency_key__startswith=f"{key}:").count() == 1 or (
            changed(before) == {} and meter.readings.filter(date=today, value=value).exists()
        )


def test_a_second_value_on_the_day_of_a_held_reading_is_refused_with_its_reason(customer_a, home_a, today):
    meter, point = home_a["meter"], home_a["point"]
    url = reverse("portal:submit_reading", args=[point.pk])
    customer_a.post(url, {"step": "confirm", "key": uuid.uuid4().hex, f"meter_{meter.pk}": "900"})
    assert meter.readings.get(date=today).status == "held"  # far more than usual: waits for the office

    key = uuid.uuid4().hex
    response = customer_a.post(url, {"step": "confirm", "key": key, f"meter_{meter.pk}": "130"})

    assert response.status_code == 302
    second = meter.readings.get(idempotency_key__startswith=f"{key}:")
    assert (second.status, second.reason_code) == ("refused", "date_already_read")


def test_the_api_refuses_a_second_value_on_the_day_of_a_held_reading(cast, home_a, today):
    _token, plain = api_token_create(actor=SYSTEM, user=cast["customer_a"])
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    meter = home_a["meter"]

    for value in ("900", "130"):
        body = {"meter_id": meter.pk, "date": today.isoformat(), "value": value}
        response = api.post("/api/v1/me/readings", body, content_type="application/json")
        assert response.status_code == 201, response.content

    assert response.json()["reading"]["status"] == "refused"
    assert meter.readings.filter(date=today, status="held").count() == 1


# --- the back-office's payment form -------------------------------------------------------------------------


@pytest.fixture
def clerk(client, cast, home_a):
    client.force_login(cast["office_clerk"])
    return client


@FEW
@given(
    amount=typed_number,
    received_on=st.one_of(
        st.sampled_from(["30.06.2025", "2025-06-01", "31.02.2025", "01.01.0001"]), st.text()
    ),
    code=st.one_of(st.just("{code}"), st.text(alphabet="0123456789 " + UNICODE_DIGITS, max_size=22)),
)
@example(amount="1e30", received_on="30.06.2025", code="{code}")
@example(amount="99999999999999999999", received_on="30.06.2025", code="{code}")
@example(amount="12,50", received_on="30.06.2025", code="{code}")
def test_the_payment_form_records_a_payment_or_explains_the_error(
    clerk, home_a, today, amount, received_on, code
):
    code = code.replace("{code}", home_a["customer"].code)
    before = row_counts()

    response = clerk.post(
        reverse("backoffice:payment_new"),
        {
            "customer_code": code,
            "amount": amount,
            "received_on": received_on,
            "method": "cash",
            "key": uuid.uuid4().hex,
        },
    )

    assert response.status_code in (302, 400), (amount, received_on, code, response.status_code)
    if response.status_code == 400:
        assert changed(before) == {}
    else:
        assert changed(before)["payments.Payment"] == 1


# --- registration and the website's reading form (codes) ----------------------------------------------------

code_like = st.one_of(
    st.text(alphabet="0123456789 -" + UNICODE_DIGITS, max_size=22),
    st.text(max_size=22),
    st.integers(min_value=0, max_value=10**25).map(str),
)


@FEW
@given(code=code_like, invoice_number=st.text(max_size=42), email=st.emails() | st.text(max_size=30))
@example(code="{code}", invoice_number="{invoice}", email="nowy@example.org")
@example(code="１２３４５６", invoice_number="FV/2025/000001", email="x@example.org")
def test_registration_answers_a_form_error_or_registers(client, home_a, code, invoice_number, email):
    ThrottleEvent.objects.all().delete()  # each example is a new visitor: the limits are tested elsewhere
    customer = home_a["customer"]
    code = code.replace("{code}", customer.code)
    invoice_number = invoice_number.replace("{invoice}", customer.invoices.first().number)
    before = row_counts(without=("audit.AuditEntry",))

    response = client.post(
        reverse("portal:register"),
        {
            "customer_code": code,
            "invoice_number": invoice_number,
            "email": email,
            "password1": "Zielona łąka nad Wisłą 7",
            "password2": "Zielona łąka nad Wisłą 7",
        },
    )

    assert response.status_code in (200, 302, 400), (code, invoice_number, email, response.status_code)
    if response.status_code != 302:
        assert changed(before) == {}


@FEW
@given(code=code_like, serial=st.text(max_size=42) | st.just("{serial}"), value=typed_number)
@example(code="{code}", serial="{serial}", value="1e30")
@example(code="{code}", serial="{serial}", value="150")
@example(code="{code}", serial="{serial}", value="9" * 20)
def test_the_website_reading_form_answers_a_form_error_or_records_the_reading(
    client, home_a, today, code, serial, value
):
    ThrottleEvent.objects.all().delete()
    meter = home_a["meter"]
    code = code.replace("{code}", home_a["customer"].code)
    serial = serial.replace("{serial}", meter.serial_number)
    readings = meter.readings.count()

    response = client.post(
        reverse("portal:website_reading"), {"customer_code": code, "serial_number": serial, "value": value}
    )

    assert response.status_code in (200, 400), (code, serial, value, response.status_code)
    if response.status_code == 400:
        assert 'class="error"' in response.content.decode() or "error" in response.content.decode()
        assert meter.readings.count() == readings
    else:
        assert meter.readings.count() == readings + 1


# --- bank statements ----------------------------------------------------------------------------------------

MT940_LINES = [
    ":20:MT940",
    ":25:/PL61109010140000071219812874",
    ":28C:00012/001",
    ":60F:C250414PLN000000005000,00",
    ":61:2504150415C000000000075,40NTRFNONREF//MB20250415001",
    ":61:2504150415C999999999999999,99NTRFNONREF//MB1",
    ":61:2513320415C000000000001,00NTRFNONREF//MB2",
    ":61:2504150415D000000000008,00NMSCNONREF//MB20250415005",
    ":86:020~00PRZELEW~20Woda marzec 2025~32EWA ZIELINSKA~3820109010140000071200000021",
    ":86:WPLATA KOD ODBIORCY 700001 ZA WODE",
    ":62F:C250415PLN000000005172,17",
    "-",
    "",
]
mt940_text = st.lists(st.one_of(st.sampled_from(MT940_LINES), st.text(max_size=40)), max_size=14).map(
    "\n".join
)
CSV_HEADER = "date;amount;title;counterparty_name;counterparty_account;target_account;reference"
csv_cell = st.one_of(
    st.sampled_from(
        ["2025-04-15", "15.04.2025", "31.02.2025", "12,50", "-3,00", "1e30", "0,001", "FV/2025/000001"]
    ),
    typed_number,
    st.text(alphabet=st.characters(blacklist_characters=";\n", codec="utf-8"), max_size=20),
)
csv_text = st.builds(
    lambda header, rows: "\n".join([header, *(";".join(row) for row in rows)]),
    st.sampled_from([CSV_HEADER, "date;amount;title", "date;title", "a;b;c"]),
    st.lists(st.lists(csv_cell, min_size=0, max_size=8), max_size=6),
)


def _import(raw: bytes, fmt: str):
    before = row_counts()
    report = statement_import(actor=SYSTEM, raw=raw, fmt=BANK_FORMATS[fmt])
    if report.ok:
        assert changed(before).get("payments.Payment", 0) == report.imported
    else:
        assert report.errors and all(isinstance(line, int) and message for line, message in report.errors)
        assert changed(before) == {}  # refused: nothing of the file was imported
    return report


@SETTINGS
@given(raw=st.binary(max_size=300), fmt=st.sampled_from(sorted(BANK_FORMATS)))
def test_random_bytes_as_a_statement_are_refused_cleanly(company, raw, fmt):
    _import(raw, fmt)


@SETTINGS
@given(text=mt940_text, fmt=st.sampled_from([f for f in sorted(BANK_FORMATS) if f.startswith("mt940")]))
def test_random_mt940_lines_import_or_are_refused_with_nothing_stored(company, text, fmt):
    encoding = BANK_FORMATS[fmt].encoding
    _import(text.encode(encoding, errors="replace"), fmt)


@SETTINGS
@given(text=csv_text, fmt=st.sampled_from(["csv", "csv-cp1250"]))
@example(text=CSV_HEADER + "\n2025-04-15;1e30;x;;;;", fmt="csv")
@example(text=CSV_HEADER + "\n2025-04-15;99999999999999999999,99;x;;;;", fmt="csv")
@example(text=CSV_HEADER + "\n2025-04-15;0,001;x;;;;", fmt="csv")
def test_random_csv_statements_import_or_are_refused_with_nothing_stored(company, text, fmt):
    _import(text.encode(BANK_FORMATS[fmt].encoding, errors="replace"), fmt)


@pytest.mark.parametrize(
    ("raw", "imported"),
    [
        (
            f"{CSV_HEADER}\n2025-04-15;12,50;{'x' * 200_000};;;;\n".encode(),
            None,
        ),  # beyond the csv module's limit
        (f"{CSV_HEADER}\n2025-04-15;12,50;Woda\x00;;;;\n".encode(), None),  # PostgreSQL can't store NUL
        (f"{CSV_HEADER}\r2025-04-15;12,50;Woda;;;;R1\r".encode(), 1),  # an old Mac's line ends
        (f'{CSV_HEADER}\n2025-04-15;12,50;"Woda\nmarzec";;;;R2\n'.encode(), 1),  # a line break in quotes
    ],
    ids=["huge-cell", "nul", "cr-line-ends", "quoted-line-break"],
)
def test_odd_csv_statements_are_imported_or_refused_cleanly(company, raw, imported):
    report = _import(raw, "csv")

    assert report.imported == (imported or 0)
    assert report.ok == (imported is not None)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir()))
def test_every_line_of_a_real_statement_cut_short_imports_or_is_refused_cleanly(company, name):
    """Each sample statement cut after every line: the prefixes a broken download would leave."""
    fmt = {
        "mt940_caret_multiline.sta": "mt940-caret",
        "mt940_lt_cp852.sta": "mt940-cp852-lt",
        "mt940_tilde.sta": "mt940",
        "statement.csv": "csv",
        "statement_cp1250.csv": "csv-cp1250",
    }[name]
    lines = (SAMPLES / name).read_bytes().splitlines(keepends=True)
    for end in range(len(lines) + 1):
        _import(b"".join(lines[:end]), fmt)


# --- the customers' CSV import ------------------------------------------------------------------------------

SAMPLE_ROWS = [line.split(";") for line in CUSTOMERS_CSV.read_text(encoding="utf-8").splitlines()[1:]]
mutation = st.tuples(
    st.integers(min_value=0, max_value=len(SAMPLE_ROWS) - 1),
    st.sampled_from(COLUMNS),
    st.one_of(
        typed_number,
        st.sampled_from(["", "31.02.2025", "0001-01-01", "9999-12-31", "G9", "tak", "2", "main", "x" * 300]),
        st.text(alphabet=st.characters(blacklist_characters=";\n", codec="utf-8"), max_size=30),
    ),
)


@pytest.fixture
def groups(company):
    return factories.make_tariff_group("G1"), factories.make_tariff_group("G2", "Pozostali odbiorcy")


@SETTINGS
@given(mutations=st.lists(mutation, max_size=4), drop=st.sets(st.integers(0, len(SAMPLE_ROWS) - 1)))
@example(mutations=[(0, "opening_reading", "1e30")], drop=set())
@example(mutations=[(0, "opening_balance", "99999999999999999999")], drop=set())
@example(mutations=[(2, "opening_date", "0001-01-01")], drop=set())
@example(mutations=[(2, "meter_digits", "99999999999999999999")], drop=set())
@example(mutations=[(3, "residents", "99999999999999999999")], drop=set())
def test_the_customers_import_imports_all_or_nothing_whatever_the_cells(groups, mutations, drop):
    rows = [list(row) for row in SAMPLE_ROWS]
    for index, column, value in mutations:
        rows[index][COLUMNS.index(column)] = value
    text = "\n".join([";".join(COLUMNS), *(";".join(r) for i, r in enumerate(rows) if i not in drop)])
    before = row_counts()

    report = customers_import_csv(actor=SYSTEM, stream=io.StringIO(text))

    if report.ok:
        assert changed(before).get("customers.Customer", 0) == report.customers
    else:
        assert all(isinstance(line, int) and message for line, _column, message in report.errors)
        assert changed(before) == {}


@pytest.mark.parametrize(
    ("transform", "ok"),
    [
        (lambda text: text.replace("\n", "\r"), True),  # an old Mac's line ends
        (lambda text: text.replace("Jan Mazur", "Jan\x00Mazur"), False),  # PostgreSQL can't store NUL
        (lambda text: text.replace("Jan Mazur", "J" * 200_000), False),  # beyond the csv module's limit
    ],
    ids=["cr-line-ends", "nul", "huge-cell"],
)
def test_odd_customers_files_are_imported_or_refused_cleanly(groups, transform, ok):
    before = row_counts()

    report = customers_import_csv(actor=SYSTEM, stream=io.StringIO(transform(CUSTOMERS_CSV.read_text())))

    assert report.ok == ok, report.errors
    assert (changed(before) == {}) != ok


@SETTINGS
@given(text=st.text(max_size=400))
def test_random_text_as_a_customers_file_imports_nothing_half_way(groups, text):
    before = row_counts()

    report = customers_import_csv(actor=SYSTEM, stream=io.StringIO(text))

    if not report.ok:
        assert changed(before) == {}
