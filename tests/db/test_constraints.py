"""The database itself refuses rows that must never exist, on SQLite and on PostgreSQL alike.

Every test builds valid rows through the services (tests/factories.py, reading_submit, invoice_issue), then
writes one invalid variation straight to the database: `.save()` on a fresh instance, `bulk_create`, or raw
SQL, so that neither `full_clean()` nor a service stands in the way. Each refusal is matched against the name
of the constraint expected to fire (SQLite and PostgreSQL word their messages differently, hence the
alternatives in `check`, `unique` and `not_null`), so a test cannot pass because some other rule broke.
Each write runs in its own `transaction.atomic()` block, rolled back to its savepoint when refused.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError

from ebok.accounts.models import CustomerAccess, User
from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice, InvoiceCounter, InvoiceKind, InvoiceLine, InvoiceMeterReading
from ebok.billing.services import invoice_issue
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.common.frozen import ImmutableError
from ebok.common.nrb import individual_account
from ebok.company.models import Company, ReadingWindow
from ebok.customers.models import Customer, CustomerKind
from ebok.metering.models import Meter, ServicePoint
from ebok.notifications.models import ConsentEvent
from ebok.payments.models import EntryKind, LedgerEntry, Payment
from ebok.payments.services import payment_record
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import reading_submit
from ebok.tariffs.models import Tariff
from tests import factories
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

ONE_DAY = dt.timedelta(days=1)
OPENED = dt.date(2025, 2, 28)  # the point's opening date: the first invoice covers 1–31 March
READ_ON = dt.date(2025, 3, 31)
NO_SUCH_ID = 987_654_321


# --- what a refusal looks like on each database -----------------------------------------------------------


def check(*names: str) -> str:
    """A named CHECK constraint: SQLite ("CHECK constraint failed: name") and PostgreSQL both name it."""
    return "|".join(rf"\b{re.escape(name)}\b" for name in names)


def unique(model: type[Model], *fields: str, name: str | None = None) -> str:
    """A UNIQUE constraint: SQLite lists table.column, PostgreSQL names the constraint (or <table>_<col>_key)."""
    table = model._meta.db_table
    columns = [model._meta.get_field(f).column for f in fields]
    sqlite = ", ".join(f"{table}.{column}" for column in columns)
    postgres = name or f"{table}_{columns[0]}_key"
    return f"{re.escape(sqlite)}|{re.escape(postgres)}"


def not_null(model: type[Model], field: str) -> str:
    table, column = model._meta.db_table, model._meta.get_field(field).column
    return rf"NOT NULL constraint failed: {table}\.{column}|null value in column \"{column}\""


def refused(expected: str, exception: type[Exception] | tuple[type[Exception], ...] = IntegrityError):
    return pytest.raises(exception, match=expected)


def copy_of(instance: Model, **changes) -> Model:
    """A fresh, unsaved instance with the column values of `instance` (by attname), some of them changed."""
    model = type(instance)
    fields = model._meta.concrete_fields
    unknown = set(changes) - {f.attname for f in fields}
    assert not unknown, f"{model.__name__} has no columns {unknown}"
    values = {f.attname: getattr(instance, f.attname) for f in fields if not f.primary_key}
    return model(**values | changes)


def raw_copy(instance: Model, **changes) -> None:
    """INSERT … SELECT a copy of the row of `instance` with some columns replaced: no ORM code runs at all."""
    model = type(instance)
    quote = connection.ops.quote_name
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key or f.column in changes]
    unknown = set(changes) - set(columns)
    assert not unknown, f"{model._meta.db_table} has no columns {unknown}"
    values = ", ".join("%s" if column in changes else quote(column) for column in columns)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {values} FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [changes[column] for column in columns if column in changes] + [instance.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def saved(instance: Model) -> Model:
    with transaction.atomic():
        instance.save()
    assert instance.pk is not None
    return instance


# --- valid rows, built through the services ---------------------------------------------------------------


@pytest.fixture
def customer(company):
    return factories.make_customer()


@pytest.fixture
def point(customer, tariff):
    return factories.make_point(customer, tariff.group, opening_date=OPENED)


@pytest.fixture
def meter(point):
    return factories.make_meter(point, reading="1200")


@pytest.fixture
def reading(meter, today):
    reading = reading_submit(
        actor=SYSTEM,
        meter=meter,
        value="1210",
        date=READ_ON,
        source=Source.PORTAL,
        idempotency_key="portal-1",
    )
    assert reading.status == Status.ACCEPTED
    return reading


@pytest.fixture
def invoice(reading, point):
    return invoice_issue(actor=SYSTEM, service_point=point, up_to=READ_ON)


@pytest.fixture
def payment(customer, today):
    """A payment of a known customer: booked on the ledger at once."""
    return payment_record(
        actor=SYSTEM,
        amount=D("100.00"),
        received_on=TODAY,
        customer=customer,
        bank_reference="BANK-REF-1",
        idempotency_key="pay-1",
    )


@pytest.fixture
def unbooked_payment(company, today):
    """A payment whose customer is not known yet: it has no ledger entry."""
    return payment_record(actor=SYSTEM, amount=D("40.00"), received_on=TODAY, title="?")


# --- readings ---------------------------------------------------------------------------------------------


def another_reading(reading: Reading, **changes) -> Reading:
    """A copy of the valid reading that is valid itself: a later day, a higher value, no idempotency key."""
    return copy_of(
        reading,
        **{"date": READ_ON + dt.timedelta(days=30), "value": D("1220"), "idempotency_key": None} | changes,
    )


def test_database_accepts_the_valid_copy_of_a_reading_the_refusals_start_from(reading):
    saved(another_reading(reading))
    saved(another_reading(reading, date=READ_ON + dt.timedelta(days=60)))  # NULL keys do not collide
    saved(another_reading(reading, status=Status.WITHDRAWN, reason_code=""))
    saved(another_reading(reading, status=Status.REFUSED, reason_code="lower_than_previous"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"meter_id": None}, not_null(Reading, "meter"), id="without-a-meter"),
        pytest.param({"value": D("-0.001")}, check("reading_value_nonnegative"), id="negative-value"),
        pytest.param(
            {"status": "lost", "reason_code": "x"}, check("reading_status_valid"), id="unknown-status"
        ),
        pytest.param({"source": "pigeon"}, check("reading_source_valid"), id="unknown-source"),
        pytest.param(
            {"status": Status.REFUSED, "reason_code": ""},
            check("reading_not_accepted_has_reason"),
            id="refused-without-a-reason",
        ),
        pytest.param(
            {"status": Status.HELD, "reason_code": ""},
            check("reading_not_accepted_has_reason"),
            id="held-without-a-reason",
        ),
        pytest.param(
            {"idempotency_key": "portal-1"}, unique(Reading, "idempotency_key"), id="idempotency-key-twice"
        ),
    ],
)
def test_database_refuses_an_invalid_reading(reading, changes, expected):
    with refused(expected), transaction.atomic():
        another_reading(reading, **changes).save()

    assert Reading.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"meter_id": None}, not_null(Reading, "meter"), id="without-a-meter"),
        pytest.param({"value": D("-1")}, check("reading_value_nonnegative"), id="negative-value"),
        pytest.param(
            {"status": "lost", "reason_code": "x"}, check("reading_status_valid"), id="unknown-status"
        ),
        pytest.param({"source": "pigeon"}, check("reading_source_valid"), id="unknown-source"),
        pytest.param(
            {"status": Status.REFUSED},
            check("reading_not_accepted_has_reason"),
            id="refused-without-a-reason",
        ),
        pytest.param(
            {"idempotency_key": "portal-1", "date": READ_ON + ONE_DAY},
            unique(Reading, "idempotency_key"),
            id="idempotency-key-twice",
        ),
    ],
)
def test_database_refuses_an_invalid_reading_inserted_with_raw_sql(reading, changes, expected):
    with refused(expected), transaction.atomic():
        raw_copy(reading, **{"idempotency_key": None} | changes)

    assert Reading.objects.count() == 1


# --- customers --------------------------------------------------------------------------------------------


def another_customer(customer: Customer, **changes) -> Customer:
    code = "200001"
    account = individual_account(Company.objects.get().bank_account_prefix, code)
    return copy_of(customer, **{"code": code, "bank_account": account} | changes)


def test_database_accepts_the_valid_copy_of_a_customer_the_refusals_start_from(customer):
    saved(another_customer(customer))
    saved(
        another_customer(
            customer,
            code="200002",
            bank_account="1" * 26,
            kind=CustomerKind.BUSINESS,
            nip=factories.VALID_NIP,
        )
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"code": "same"}, unique(Customer, "code"), id="one-code-twice"),
        pytest.param({"code": "12345"}, check("customer_code_length"), id="code-too-short"),
        pytest.param({"code": "12345"}, check("customer_code_length"), id="code-too-short"),
        pytest.param(
            {"kind": CustomerKind.BUSINESS, "nip": ""},
            check("customer_business_has_nip"),
            id="business-without-nip",
        ),
        pytest.param({"kind": "company"}, check("customer_kind_valid"), id="unknown-kind"),
        pytest.param({"name": ""}, check("customer_name_required"), id="without-a-name"),
        pytest.param({"nip": "526104082"}, check("customer_nip_length"), id="nip-of-9-digits"),
        pytest.param({"pesel": "8001011234"}, check("customer_pesel_length"), id="pesel-of-10-digits"),
        pytest.param({"bank_account": "same"}, unique(Customer, "bank_account"), id="one-bank-account-twice"),
        pytest.param(
            {"bank_account": "1" * 25}, check("customer_bank_account_length"), id="bank-account-too-short"
        ),
    ],
)
def test_database_refuses_an_invalid_customer(customer, changes, expected):
    changes = {key: getattr(customer, key) if value == "same" else value for key, value in changes.items()}

    with refused(expected), transaction.atomic():
        another_customer(customer, **changes).save()

    assert Customer.objects.count() == 1


def test_database_refuses_a_customer_code_longer_than_six_characters(customer):
    # PostgreSQL stops it at varchar(6) (DataError), SQLite, which ignores lengths, at the check constraint.
    with refused(r"customer_code_length|too long", (IntegrityError, DataError)), transaction.atomic():
        another_customer(customer, code="1234567").save()

    assert Customer.objects.count() == 1


def test_database_refuses_to_delete_a_customer_who_has_an_invoice(invoice):
    customer = invoice.customer

    with pytest.raises(ProtectedError), transaction.atomic():
        customer.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).delete()
    # Without Django's collector: foreign keys are deferred on both databases, so the refusal comes at
    # commit; check_constraints() runs the same check now.
    with refused(r"customers_customer"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Customer._meta.db_table} WHERE id = %s", [customer.pk])
        connection.check_constraints()

    assert Customer.objects.filter(pk=customer.pk).exists()


# --- invoices ---------------------------------------------------------------------------------------------


def another_invoice(invoice: Invoice, **changes) -> Invoice:
    """A copy of the valid invoice that is valid itself: the next number, for April."""
    return copy_of(
        invoice,
        **{
            "sequence": invoice.sequence + 1,
            "number": "FV/2025/000099",
            "period_start": dt.date(2025, 4, 1),
            "period_end": dt.date(2025, 4, 30),
        }
        | changes,
    )


def test_database_accepts_the_valid_copy_of_an_invoice_the_refusals_start_from(invoice):
    saved(another_invoice(invoice))


def test_database_allows_a_correction_ending_the_same_day_as_the_invoice_it_corrects(invoice):
    correction = saved(
        another_invoice(
            invoice,
            kind=InvoiceKind.CORRECTION,
            corrects_id=invoice.pk,
            correction_reason="wrong reading",
            sequence=1,
            number="KOR/2025/000001",
            period_start=invoice.period_start,
            period_end=invoice.period_end,
        )
    )

    assert correction.period_end == invoice.period_end
    assert (
        Invoice.objects.filter(service_point=invoice.service_point, period_end=invoice.period_end).count()
        == 2
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(lambda v: {"number": v.number}, unique(Invoice, "number"), id="one-number-twice"),
        pytest.param(
            lambda v: {"sequence": v.sequence},
            unique(Invoice, "kind", "year", "sequence", name="invoice_unique_sequence"),
            id="kind-year-sequence-twice",
        ),
        pytest.param(
            lambda v: {"period_start": v.period_start, "period_end": v.period_end},
            unique(Invoice, "service_point", "period_end", name="invoice_one_per_point_period_end"),
            id="two-regular-invoices-of-a-point-ending-the-same-day",
        ),
        pytest.param(
            lambda v: {"period_start": dt.date(2025, 5, 1)},
            check("invoice_period_order"),
            id="period-ends-before-it-starts",
        ),
        pytest.param(
            lambda v: {"due_date": v.issue_date - ONE_DAY},
            check("invoice_due_after_issue"),
            id="due-before-issue",
        ),
        pytest.param(
            lambda v: {"kind": InvoiceKind.CORRECTION, "correction_reason": "wrong reading"},
            check("invoice_correction_refers_original"),
            id="correction-without-the-invoice-it-corrects",
        ),
        pytest.param(
            lambda v: {"kind": InvoiceKind.CORRECTION, "corrects_id": v.pk, "correction_reason": ""},
            check("invoice_correction_has_reason"),
            id="correction-without-a-reason",
        ),
        pytest.param(
            lambda v: {"corrects_id": v.pk},
            check("invoice_correction_refers_original"),
            id="regular-invoice-that-corrects-another",
        ),
        pytest.param(
            lambda v: {"kind": "proforma", "correction_reason": "x"},
            check("invoice_kind_valid", "invoice_correction_refers_original"),
            id="unknown-kind",
        ),
        pytest.param(lambda v: {"sequence": 0}, check("invoice_sequence_positive"), id="sequence-zero"),
        pytest.param(lambda v: {"customer_id": None}, not_null(Invoice, "customer"), id="without-a-customer"),
        pytest.param(
            lambda v: {"service_point_id": None},
            not_null(Invoice, "service_point"),
            id="without-a-service-point",
        ),
    ],
)
def test_database_refuses_an_invalid_invoice(invoice, changes, expected):
    with refused(expected), transaction.atomic():
        another_invoice(invoice, **changes(invoice)).save()

    assert Invoice.objects.count() == 1


def test_database_refuses_a_second_counter_for_one_series_and_year(company):
    InvoiceCounter.objects.create(series=InvoiceKind.INVOICE, year=2025)
    InvoiceCounter.objects.create(series=InvoiceKind.INVOICE, year=2026)
    InvoiceCounter.objects.create(series=InvoiceKind.CORRECTION, year=2025)

    with (
        refused(unique(InvoiceCounter, "series", "year", name="invoice_counter_unique")),
        transaction.atomic(),
    ):
        InvoiceCounter.objects.create(series=InvoiceKind.INVOICE, year=2025, last_number=7)
    with (
        refused(unique(InvoiceCounter, "series", "year", name="invoice_counter_unique")),
        transaction.atomic(),
    ):
        InvoiceCounter.objects.bulk_create([InvoiceCounter(series=InvoiceKind.CORRECTION, year=2025)])

    assert InvoiceCounter.objects.count() == 3


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            lambda v: {"invoice_id": None}, not_null(InvoiceLine, "invoice"), id="without-an-invoice"
        ),
        pytest.param(
            lambda v: {"position": v.position},
            unique(InvoiceLine, "invoice", "side", "position", name="invoice_line_unique_position"),
            id="one-position-twice",
        ),
        pytest.param(
            lambda v: {"quantity": D("-0.001")},
            check("invoice_line_quantity_nonnegative"),
            id="negative-quantity",
        ),
        pytest.param(lambda v: {"kind": "gas"}, check("invoice_line_kind_valid"), id="unknown-kind"),
        pytest.param(
            lambda v: {"period_start": v.period_end + ONE_DAY},
            check("invoice_line_period_order"),
            id="period-ends-before-it-starts",
        ),
    ],
)
def test_database_refuses_an_invalid_invoice_line(invoice, changes, expected):
    line = invoice.lines.order_by("position").first()
    saved(copy_of(line, position=99))  # the valid copy the refusals start from

    with refused(expected), transaction.atomic():
        copy_of(line, **{"position": 98} | changes(line)).save()

    assert invoice.lines.count() == 4


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            lambda v: {"invoice_id": None}, not_null(InvoiceMeterReading, "invoice"), id="without-an-invoice"
        ),
        pytest.param(
            lambda v: {"consumption": D("-1")},
            check("invoice_meter_consumption_nonnegative"),
            id="negative-consumption",
        ),
        pytest.param(
            lambda v: {"new_date": v.previous_date - ONE_DAY},
            check("invoice_meter_dates_order"),
            id="new-reading-before-the-previous",
        ),
    ],
)
def test_database_refuses_an_invalid_billed_meter_reading(invoice, changes, expected):
    billed = invoice.meter_readings.get()
    saved(copy_of(billed))

    with refused(expected), transaction.atomic():
        copy_of(billed, **changes(billed)).save()

    assert invoice.meter_readings.count() == 2


# --- tariffs ----------------------------------------------------------------------------------------------


def another_tariff(tariff: Tariff, **changes) -> Tariff:
    return copy_of(tariff, **{"valid_from": dt.date(2021, 1, 1)} | changes)


def test_database_accepts_the_valid_copy_of_a_tariff_the_refusals_start_from(tariff):
    saved(another_tariff(tariff))
    saved(
        another_tariff(
            tariff,
            valid_from=dt.date(2022, 1, 1),
            valid_to=dt.date(2022, 1, 1),
            water_price=D("0"),
            sewage_price=D("0"),
            subscription_fee=D("0"),
            vat_rate=D("0"),
        )
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        *(
            pytest.param({price: D("-0.01")}, check("tariff_prices_nonnegative"), id=f"negative-{price}")
            for price in ("water_price", "sewage_price", "subscription_fee", "sewage_subscription_fee")
        ),
        pytest.param(
            {"valid_to": dt.date(2020, 12, 31)}, check("tariff_valid_range"), id="valid-to-before-valid-from"
        ),
        pytest.param(
            {"valid_from": dt.date(2020, 1, 1)},
            unique(Tariff, "group", "valid_from", name="tariff_unique_start"),
            id="two-versions-of-a-group-starting-the-same-day",
        ),
        pytest.param({"fee_period_months": 4}, check("tariff_fee_period"), id="fee-per-four-months"),
        pytest.param({"vat_rate": D("1")}, check("tariff_vat_rate_range"), id="vat-rate-of-100-percent"),
        pytest.param({"vat_rate": D("-0.08")}, check("tariff_vat_rate_range"), id="negative-vat-rate"),
    ],
)
def test_database_refuses_an_invalid_tariff(tariff, changes, expected):
    with refused(expected), transaction.atomic():
        another_tariff(tariff, **changes).save()

    assert Tariff.objects.count() == 1


# --- service points and meters ----------------------------------------------------------------------------


def test_database_accepts_a_service_point_with_one_service_only(point):
    saved(copy_of(point, has_water=False))
    saved(copy_of(point, has_sewage=False, flat_rate_norm_m3=D("0")))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"has_water": False, "has_sewage": False},
            check("point_has_a_service"),
            id="neither-water-nor-sewage",
        ),
        pytest.param({"flat_rate_norm_m3": D("-0.001")}, check("point_norm_nonnegative"), id="negative-norm"),
        pytest.param({"customer_id": None}, not_null(ServicePoint, "customer"), id="without-a-customer"),
    ],
)
def test_database_refuses_an_invalid_service_point(point, changes, expected):
    with refused(expected), transaction.atomic():
        copy_of(point, **changes).save()

    assert ServicePoint.objects.count() == 1


def another_meter(meter: Meter, **changes) -> Meter:
    return copy_of(meter, **{"serial_number": "WM-COPY"} | changes)


def test_database_accepts_the_valid_copy_of_a_meter_the_refusals_start_from(meter):
    saved(another_meter(meter))
    saved(
        another_meter(
            meter, serial_number="WM-REMOVED", digits=3, removed_on=meter.installed_on, removal_reading=D("0")
        )
    )
    saved(another_meter(meter, serial_number="WM-NINE", digits=9))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"removed_on": READ_ON}, check("meter_removal_complete"), id="removed-on-without-removal-reading"
        ),
        pytest.param(
            {"removal_reading": D("1210")},
            check("meter_removal_complete"),
            id="removal-reading-without-removed-on",
        ),
        pytest.param(
            {"removed_on": READ_ON, "removal_reading": D("-1")},
            check("meter_removal_complete"),
            id="negative-removal-reading",
        ),
        pytest.param(
            {"removed_on": OPENED - ONE_DAY, "removal_reading": D("1200")},
            check("meter_removed_after_installed"),
            id="removed-before-installed",
        ),
        pytest.param({"digits": 2}, check("meter_digits_range"), id="two-digits"),
        pytest.param({"digits": 10}, check("meter_digits_range"), id="ten-digits"),
        pytest.param(
            {"installation_reading": D("-0.001")},
            check("meter_installation_nonnegative"),
            id="negative-installation-reading",
        ),
        pytest.param({"role": "spare"}, check("meter_role_valid"), id="unknown-role"),
        pytest.param({"serial_number": "same"}, unique(Meter, "serial_number"), id="one-serial-number-twice"),
        pytest.param(
            {"service_point_id": None}, not_null(Meter, "service_point"), id="without-a-service-point"
        ),
    ],
)
def test_database_refuses_an_invalid_meter(meter, changes, expected):
    changes = {key: getattr(meter, key) if value == "same" else value for key, value in changes.items()}

    with refused(expected), transaction.atomic():
        another_meter(meter, **changes).save()

    assert Meter.objects.count() == 1


# --- payments and the ledger ------------------------------------------------------------------------------


def another_payment(payment: Payment, **changes) -> Payment:
    return copy_of(payment, **{"bank_reference": None, "idempotency_key": None} | changes)


def test_database_accepts_payments_without_bank_reference_or_key(payment):
    saved(another_payment(payment))
    saved(another_payment(payment, amount=D("0.01")))

    assert Payment.objects.filter(bank_reference__isnull=True, idempotency_key__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"amount": D("0")}, check("payment_amount_positive"), id="zero-amount"),
        pytest.param({"amount": D("-0.01")}, check("payment_amount_positive"), id="negative-amount"),
        pytest.param(
            {"bank_reference": "BANK-REF-1"}, unique(Payment, "bank_reference"), id="one-bank-reference-twice"
        ),
        pytest.param(
            {"idempotency_key": "pay-1"}, unique(Payment, "idempotency_key"), id="one-idempotency-key-twice"
        ),
        pytest.param({"method": "barter"}, check("payment_method_valid"), id="unknown-method"),
    ],
)
def test_database_refuses_an_invalid_payment(payment, changes, expected):
    with refused(expected), transaction.atomic():
        another_payment(payment, **changes).save()

    assert Payment.objects.count() == 1


def ledger_entry(customer, kind, amount, *, invoice=None, payment=None) -> LedgerEntry:
    return LedgerEntry(
        customer=customer,
        kind=kind,
        amount=D(amount),
        booked_on=TODAY,
        invoice=invoice,
        payment=payment,
        created_at=clock.now(),
    )


def test_database_accepts_each_kind_of_ledger_entry_with_its_document(invoice, unbooked_payment):
    customer = invoice.customer
    correction = saved(
        another_invoice(
            invoice,
            kind=InvoiceKind.CORRECTION,
            corrects_id=invoice.pk,
            correction_reason="wrong reading",
            sequence=1,
            number="KOR/2025/000001",
            period_start=invoice.period_start,
            period_end=invoice.period_end,
        )
    )

    saved(ledger_entry(customer, EntryKind.OPENING, "12.34"))
    saved(ledger_entry(customer, EntryKind.OPENING, "-5.00"))
    saved(ledger_entry(customer, EntryKind.CORRECTION, "-3.21", invoice=correction))
    saved(ledger_entry(customer, EntryKind.PAYMENT, "-40.00", payment=unbooked_payment))


LEDGER_REFUSED = check("ledger_entry_refers_its_document")


@pytest.mark.parametrize(
    ("kind", "amount", "document", "expected"),
    [
        pytest.param(EntryKind.PAYMENT, "-40.00", None, LEDGER_REFUSED, id="payment-without-a-payment"),
        pytest.param(
            EntryKind.PAYMENT, "40.00", "payment", LEDGER_REFUSED, id="payment-with-a-positive-amount"
        ),
        pytest.param(EntryKind.PAYMENT, "0.00", "payment", LEDGER_REFUSED, id="payment-of-zero"),
        pytest.param(
            EntryKind.PAYMENT,
            "-40.00",
            "payment+invoice",
            LEDGER_REFUSED,
            id="payment-that-also-refers-an-invoice",
        ),
        pytest.param(EntryKind.INVOICE, "10.00", None, LEDGER_REFUSED, id="invoice-without-an-invoice"),
        pytest.param(
            EntryKind.CORRECTION, "-10.00", None, LEDGER_REFUSED, id="correction-without-an-invoice"
        ),
        pytest.param(
            EntryKind.INVOICE, "10.00", "payment", LEDGER_REFUSED, id="invoice-pointing-at-a-payment"
        ),
        pytest.param(EntryKind.OPENING, "10.00", "payment", LEDGER_REFUSED, id="opening-with-a-payment"),
        pytest.param(
            "refund",
            "10.00",
            None,
            check("ledger_kind_valid", "ledger_entry_refers_its_document"),
            id="unknown-kind",
        ),
        pytest.param(
            EntryKind.INVOICE,
            "10.00",
            "invoice",
            unique(LedgerEntry, "invoice"),
            id="second-entry-for-one-invoice",
        ),
    ],
)
def test_database_refuses_an_invalid_ledger_entry(
    invoice, unbooked_payment, kind, amount, document, expected
):
    documents = {
        None: {},
        "payment": {"payment": unbooked_payment},
        "invoice": {"invoice": invoice},
        "payment+invoice": {"payment": unbooked_payment, "invoice": invoice},
    }
    entries = LedgerEntry.objects.count()

    with refused(expected), transaction.atomic():
        ledger_entry(invoice.customer, kind, amount, **documents[document]).save()

    assert LedgerEntry.objects.count() == entries


def test_database_refuses_a_second_ledger_entry_for_one_payment(payment):
    with refused(unique(LedgerEntry, "payment")), transaction.atomic():
        ledger_entry(payment.customer, EntryKind.PAYMENT, "-100.00", payment=payment).save()


def test_database_refuses_a_ledger_entry_without_a_customer(payment):
    with refused(not_null(LedgerEntry, "customer")), transaction.atomic():
        copy_of(payment.ledger_entry, customer_id=None, payment_id=None, kind=EntryKind.OPENING).save()


# --- references to rows that do not exist -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "model"),
    [
        pytest.param(
            lambda invoice: another_reading(Reading.objects.get(), meter_id=NO_SUCH_ID),
            Reading,
            id="reading-of-a-missing-meter",
        ),
        pytest.param(
            lambda invoice: copy_of(invoice.lines.first(), position=99, invoice_id=NO_SUCH_ID),
            InvoiceLine,
            id="line-of-a-missing-invoice",
        ),
        pytest.param(
            lambda invoice: LedgerEntry(
                customer_id=invoice.customer_id,
                kind=EntryKind.PAYMENT,
                amount=D("-1.00"),
                booked_on=TODAY,
                payment_id=NO_SUCH_ID,
                created_at=clock.now(),
            ),
            LedgerEntry,
            id="ledger-entry-of-a-missing-payment",
        ),
        pytest.param(
            lambda invoice: another_invoice(invoice, customer_id=NO_SUCH_ID),
            Invoice,
            id="invoice-of-a-missing-customer",
        ),
    ],
)
def test_database_refuses_at_commit_a_reference_to_a_missing_row(invoice, make, model):
    # Django declares foreign keys DEFERRABLE INITIALLY DEFERRED on both databases: the insert itself passes
    # and the commit fails. check_constraints() runs that commit-time check inside the test transaction.
    rows = model.objects.count()

    with refused(re.escape(model._meta.db_table)), transaction.atomic():
        make(invoice).save()
        connection.check_constraints()

    assert model.objects.count() == rows


# --- the utility and other master data --------------------------------------------------------------------


def test_database_refuses_a_second_company_row(company):
    with refused(check("company_single_row")), transaction.atomic():
        Company.objects.bulk_create([copy_of(company, id=2)])
    with refused(check("company_single_row")), transaction.atomic():
        raw_copy(company, id=2)

    assert list(Company.objects.values_list("id", flat=True)) == [1]


@pytest.mark.parametrize("digits", [2, 10])
def test_database_refuses_a_default_meter_size_out_of_range(company, digits):
    with refused(check("company_meter_digits_range")), transaction.atomic():
        Company.objects.filter(pk=1).update(meter_default_digits=digits)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"ordinal": 1},
            unique(ReadingWindow, "company", "ordinal", name="reading_window_unique_ordinal"),
            id="one-ordinal-twice",
        ),
        pytest.param({"start_month": 13}, check("reading_window_months"), id="month-13"),
        pytest.param({"end_month": 0}, check("reading_window_months"), id="month-0"),
        pytest.param({"end_day": 32}, check("reading_window_days"), id="day-32"),
        pytest.param({"start_day": 0}, check("reading_window_days"), id="day-0"),
    ],
)
def test_database_refuses_an_invalid_reading_window(company, changes, expected):
    window = company.reading_windows.get(ordinal=3)
    saved(copy_of(window, ordinal=4))

    with refused(expected), transaction.atomic():
        copy_of(window, **{"ordinal": 5} | changes).save()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"kind": "telepathy"}, check("consent_kind_valid"), id="unknown-kind"),
        pytest.param({"channel": "pigeon"}, check("consent_channel_valid"), id="unknown-channel"),
    ],
)
def test_database_refuses_an_invalid_consent_event(customer, changes, expected):
    valid = saved(
        ConsentEvent(
            customer=customer,
            kind="e_invoice",
            given=True,
            text_version="2025-01",
            channel="portal",
            at=clock.now(),
        )
    )

    with refused(expected), transaction.atomic():
        copy_of(valid, **changes).save()


def test_database_refuses_two_users_with_one_email_but_allows_many_without(customer):
    User.objects.create(username="a", email="a@example.org")
    User.objects.create(username="b")
    User.objects.create(username="c")

    with refused(r"user_email_unique|accounts_user\.email"), transaction.atomic():
        User.objects.create(username="d", email="a@example.org")


def test_database_refuses_to_grant_one_user_access_to_one_customer_twice(customer):
    user = User.objects.create(username="a")
    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())

    with (
        refused(unique(CustomerAccess, "user", "customer", name="customer_access_unique")),
        transaction.atomic(),
    ):
        CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())


# --- frozen rows (a Python guard, not a database one) -----------------------------------------------------


def _frozen_rows(invoice: Invoice) -> dict[str, Model]:
    return {
        "invoice": invoice,
        "invoice_line": invoice.lines.first(),
        "ledger_entry": invoice.ledger_entry,
        "audit_entry": AuditEntry.objects.get(action="invoice.issued"),
    }


@pytest.mark.parametrize("which", ["invoice", "invoice_line", "ledger_entry", "audit_entry"])
def test_frozen_row_can_be_neither_saved_again_nor_deleted(invoice, which):
    row = _frozen_rows(invoice)[which]
    model = type(row)
    rows = model.objects.count()

    with pytest.raises(ImmutableError):
        row.save()
    with pytest.raises(ImmutableError):
        row.delete()
    with pytest.raises(ImmutableError):
        model.objects.filter(pk=row.pk).update(id=row.pk)
    with pytest.raises(ImmutableError):
        model.objects.filter(pk=row.pk).delete()

    assert model.objects.count() == rows


# --- overwriting through the back door ---------------------------------------------------------------------


def _overwrite_by_save(invoice: Invoice) -> None:
    copy_of(invoice, id=invoice.pk, total_gross=D("0.01")).save()


def _overwrite_by_bulk_create(invoice: Invoice) -> None:
    Invoice.objects.bulk_create(
        [copy_of(invoice, id=invoice.pk, total_gross=D("0.01"))],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["total_gross"],
    )


@pytest.mark.parametrize(
    "overwrite", [_overwrite_by_save, _overwrite_by_bulk_create], ids=["save", "bulk-create"]
)
def test_frozen_invoice_cannot_be_overwritten_through_a_fresh_instance_with_its_pk(invoice, overwrite):
    try:
        with transaction.atomic():
            overwrite(invoice)
    except (ImmutableError, IntegrityError):
        pass

    invoice.refresh_from_db()
    if invoice.total_gross == D("0.01"):
        pytest.fail("the issued invoice was overwritten")


def test_database_refuses_an_invoice_whose_gross_is_not_net_plus_vat(invoice):
    with pytest.raises(IntegrityError), transaction.atomic():
        another_invoice(invoice, total_gross=invoice.total_gross + D("0.01")).save()


@pytest.mark.parametrize("code", ["ABCDEF", "12345A"])
def test_database_refuses_a_customer_code_that_is_not_digits(customer, code):
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(customer, code=code, bank_account="0" * 26).save()


def test_database_refuses_two_readings_in_force_for_one_meter_and_day(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group, opening_date=dt.date(2025, 2, 28))
    meter = factories.make_meter(point, reading="0")
    reading = reading_submit(
        actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 3, 31), source=Source.PORTAL
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        copy_of(reading, value=D("6"), idempotency_key=None).save()
