"""Balances and open items, always derived from the append-only ledger (billing-rules §8)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import groupby
from operator import itemgetter

from django.db import connection
from django.db.models import DecimalField, Model, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ebok.common import clock
from ebok.common.bulk import in_chunks
from ebok.company.models import Company
from ebok.customers.models import Customer
from ebok.payments.interest import Rate
from ebok.payments.models import EntryKind, InterestRate, LedgerEntry, Payment
from ebok.payments.services import find_invoice_in_title

ZERO = Decimal("0.00")


def balance_for_customer(customer: Customer | int, *, as_of: dt.date | None = None) -> Decimal:
    """Σ charges − Σ payments; positive means the customer owes, negative is credit."""
    entries = LedgerEntry.objects.filter(customer=customer)
    if as_of is not None:
        entries = entries.filter(booked_on__lte=as_of)
    total = entries.aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=DecimalField(max_digits=15, decimal_places=2))
    )["total"]
    return Decimal(total).quantize(ZERO)


def ledger_for_customer(customer: Customer) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(customer=customer)
        .select_related("invoice", "payment")
        .order_by("booked_on", "id")
    )


def payments_for_customer(customer: Customer) -> QuerySet[Payment]:
    return Payment.objects.filter(customer=customer).order_by("-received_on", "-id")


@dataclass(slots=True)
class OpenItem:
    entry_id: int
    invoice_id: int | None
    number: str
    due_date: dt.date
    amount: Decimal
    paid: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        return self.amount - self.paid

    def overdue_on(self, day: dt.date) -> bool:
        return self.open > 0 and self.due_date < day


@dataclass(slots=True)
class Settlement:
    items: list[OpenItem]  # every charge with what is still open on it, oldest due first
    credit: Decimal

    @property
    def open_items(self) -> list[OpenItem]:
        return [item for item in self.items if item.open > 0]

    @property
    def open_total(self) -> Decimal:
        return sum((item.open for item in self.items), ZERO)

    def overdue_total(self, day: dt.date | None = None) -> Decimal:
        day = day or clock.today()
        return sum((item.open for item in self.items if item.overdue_on(day)), ZERO)


_SETTLEMENT_FIELDS = (
    "id",
    "kind",
    "amount",
    "booked_on",
    "due_date",
    "invoice_id",
    "invoice__number",
    "invoice__corrects_id",
    "payment__invoice_id",
)


def _named_invoice_first() -> bool:
    return Company.objects.values_list("allocate_to_named_invoice_first", flat=True).first() is not False


def _settle(entries: Iterable[tuple], *, named_first: bool) -> Settlement:
    """The allocation of one customer's ledger rows (`_SETTLEMENT_FIELDS`, in booking order)."""
    items: dict[int, OpenItem] = {}  # by the id of the original invoice (or of the opening entry)
    credit = ZERO

    def oldest_first() -> list[OpenItem]:
        return sorted((i for i in items.values() if i.open > 0), key=lambda i: (i.due_date, i.entry_id))

    def apply_credit() -> None:
        nonlocal credit
        for item in oldest_first():
            if credit <= 0:
                break
            share = min(credit, item.open)
            item.paid += share
            credit -= share

    for entry_id, kind, amount, booked_on, due_date, invoice_id, number, corrects_id, named_id in entries:
        if kind == EntryKind.PAYMENT:
            credit += -amount
            named = items.get(named_id) if named_id and named_first else None
            if named is not None and named.open > 0:
                share = min(credit, named.open)
                named.paid += share
                credit -= share
        elif kind == EntryKind.CORRECTION and corrects_id in items:
            item = items[corrects_id]
            item.amount += amount
            if item.paid > item.amount:  # the correction refunded part of what was paid: it becomes credit
                credit += item.paid - max(item.amount, ZERO)
                item.paid = max(item.amount, ZERO)
        elif amount > 0:
            key = invoice_id or -entry_id
            items[key] = OpenItem(entry_id, invoice_id, number or "", due_date or booked_on, amount)
        else:  # an opening credit, or a correction whose invoice is not in this ledger
            credit += -amount
        apply_credit()
    ordered = sorted(items.values(), key=lambda i: (i.due_date, i.entry_id))
    return Settlement(items=ordered, credit=credit)


def settlement_for_customer(customer: Customer | int) -> Settlement:
    """Which charges are paid, per billing-rules §8 (choice): a payment settles the invoice named in its title
    first, then open charges oldest due date first; what is left is credit, used by the next charge.
    A correction changes the amount of the invoice it corrects. Invariant: open_total − credit = balance."""
    entries = (
        LedgerEntry.objects.filter(customer=customer)
        .order_by("booked_on", "id")
        .values_list(*_SETTLEMENT_FIELDS)
    )
    return _settle(entries, named_first=_named_invoice_first())


def settlements_of_debtors(as_of: dt.date) -> dict[int, Settlement]:
    """The settlement (as `settlement_for_customer`, from the entries booked up to `as_of`) of every customer
    who owes something on that day, by customer id. Two queries whatever the number of customers: the
    utility's setting, and the ledger rows of the customers whose balance is positive."""
    owing = (
        LedgerEntry.objects.filter(booked_on__lte=as_of)
        .values("customer")
        .annotate(total=Sum("amount"))
        # A half-grosz band: SQLite adds decimals as floats, so a settled balance may come out as 1e-15.
        .filter(total__gt=Decimal("0.005"))
        .values("customer")
    )
    rows = (
        LedgerEntry.objects.filter(booked_on__lte=as_of, customer__in=Subquery(owing))
        .order_by("customer_id", "booked_on", "id")
        .values_list("customer_id", *_SETTLEMENT_FIELDS)
    )
    named_first = _named_invoice_first()
    settlements = {}
    for customer_id, entries in groupby(rows.iterator(), key=itemgetter(0)):
        settlement = _settle((row[1:] for row in entries), named_first=named_first)
        if settlement.open_total > 0:
            settlements[customer_id] = settlement
    return settlements


# --- the back-office's lists ---------------------------------------------------------------------------------


def payments_search(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    matched: bool | None = None,
    method: str | None = None,
) -> QuerySet[Payment]:
    """Payments received, newest first, with their customer and named invoice; every filter is optional."""
    payments = Payment.objects.select_related("customer", "invoice").order_by("-received_on", "-id")
    if date_from is not None:
        payments = payments.filter(received_on__gte=date_from)
    if date_to is not None:
        payments = payments.filter(received_on__lte=date_to)
    if matched is not None:
        payments = payments.filter(customer__isnull=not matched)
    if method:
        payments = payments.filter(method=method)
    return payments


def unmatched_payments() -> QuerySet[Payment]:
    """Payments whose customer is not known yet, oldest first: they wait for a clerk to assign them."""
    return Payment.objects.filter(customer__isnull=True).order_by("received_on", "id")


def interest_rates(kind: str) -> list[Rate]:
    return [
        Rate(valid_from, percent)
        for valid_from, percent in InterestRate.objects.filter(kind=kind)
        .order_by("valid_from")
        .values_list("valid_from", "annual_percent")
    ]


# --- who an unmatched payment may be from --------------------------------------------------------------------


class Reason(StrEnum):
    INVOICE = "invoice"  # an invoice number of theirs is in the title
    CODE = "code"  # their customer code is in the title
    ACCOUNT = "account"  # they paid from the same account before
    NAME = "name"  # their name resembles the payer's name


@dataclass(frozen=True, slots=True)
class Candidate:
    customer: Customer
    reason: Reason
    detail: str = ""  # the invoice number, the code or the account that was found


_CODE_IN_TITLE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_WORD = re.compile(r"[^\W\d_]{3,}")
_NO_DECOMPOSITION = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "đ": "d"})
MAX_CANDIDATES = 5


def _words(name: str) -> set[str]:
    """The words of a name as banks write them: lower case, without Polish letters (ł → l, ż → z)."""
    plain = unicodedata.normalize("NFKD", name.translate(_NO_DECOMPOSITION))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return set(_WORD.findall(plain))


def _name_resembles(payer: set[str], customer: set[str]) -> bool:
    """The payer's name (often with the address after it) contains two of the customer's name words, or all
    of them when the customer's name has only one."""
    common = payer & customer
    return len(common) >= min(2, len(customer)) and bool(common)


def assignment_candidates(payments: Iterable[Payment]) -> dict[int, list[Candidate]]:
    """Customers an unmatched payment may be from, best first, by payment id: whose invoice number or
    customer code is in the title, who paid from the same account before, or whose name resembles the
    payer's name. A handful of queries for the whole page; the names are compared in Python, over every
    customer (fine for a utility's few thousand customers; a trigram index would be the next step)."""
    payments = list(payments)
    found: dict[int, list[Candidate]] = {p.pk: [] for p in payments}
    codes = {p.pk: set(_CODE_IN_TITLE.findall(p.title)) for p in payments}
    by_code = (
        {c.code: c for c in Customer.objects.filter(code__in=set().union(*codes.values()))}
        if any(codes.values())
        else {}
    )
    accounts = {p.counterparty_account for p in payments if len(p.counterparty_account) >= 10}
    by_account: dict[str, list[Customer]] = {}
    if accounts:
        earlier = (
            Payment.objects.filter(counterparty_account__in=accounts, customer__isnull=False)
            .select_related("customer")
            .order_by("-received_on")
        )
        for payment in earlier:
            customers = by_account.setdefault(payment.counterparty_account, [])
            if payment.customer not in customers:
                customers.append(payment.customer)
    names = {p.pk: _words(p.counterparty_name) for p in payments}
    everyone = list(Customer.objects.only("id", "code", "name", "kind")) if any(names.values()) else []
    for payment in payments:
        candidates = found[payment.pk]
        invoice = find_invoice_in_title(payment.title)
        if invoice is not None:
            candidates.append(Candidate(invoice.customer, Reason.INVOICE, invoice.number))
        for code in sorted(codes[payment.pk]):
            if code in by_code:
                candidates.append(Candidate(by_code[code], Reason.CODE, code))
        for customer in by_account.get(payment.counterparty_account, []):
            candidates.append(Candidate(customer, Reason.ACCOUNT, payment.counterparty_account))
        if names[payment.pk]:
            for customer in everyone:
                if _name_resembles(names[payment.pk], _words(customer.name)):
                    candidates.append(Candidate(customer, Reason.NAME, customer.name))
        seen: set[int] = set()
        unique = []
        for candidate in candidates:
            if candidate.customer.pk not in seen:
                seen.add(candidate.customer.pk)
                unique.append(candidate)
        found[payment.pk] = unique[:MAX_CANDIDATES]
    return found


def payments_with_ids(ids: Iterable[int]) -> QuerySet[Payment]:
    """The payments of one import (as listed in its report), in the order they were recorded."""
    return Payment.objects.filter(pk__in=list(ids)).select_related("customer", "invoice").order_by("id")


# --- bank statements: what is known already, and whose accounts and codes these are (many at once) ----------


def _rows_where_in(model: type[Model], field: str, values: Iterable[str], *columns: str) -> list[tuple]:
    """`columns` of the rows of `model` whose `field` is one of `values` (a statement's worth of them)."""
    values = list(set(values))
    if not values:
        return []
    if connection.vendor == "postgresql":
        # One array the server binds, rather than IN (…) lists that Django's psycopg cursor quotes into the
        # SQL text value by value: for a statement's 100,000 references, a second against three.
        import psycopg

        quote = connection.ops.quote_name
        meta = model._meta
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"SELECT {', '.join(quote(meta.get_field(c).column) for c in columns)} "  # noqa: S608 - names
                f"FROM {quote(meta.db_table)} WHERE {quote(meta.get_field(field).column)} = ANY(%s)",
                [values],
            )
            return cursor.fetchall()
    rows: list[tuple] = []
    for chunk in in_chunks(values):
        rows.extend(model._default_manager.filter(**{f"{field}__in": chunk}).values_list(*columns))
    return rows


def bank_references_known(references: Iterable[str]) -> set[str]:
    """Those of `references` that a payment already carries (imported before)."""
    return {
        reference for (reference,) in _rows_where_in(Payment, "bank_reference", references, "bank_reference")
    }


def customer_ids_by_account(accounts: Iterable[str]) -> dict[str, int]:
    """{individual bank account: customer id} of those of `accounts` that are a customer's."""
    return dict(_rows_where_in(Customer, "bank_account", accounts, "bank_account", "id"))


def customer_ids_by_code(codes: Iterable[str]) -> dict[str, int]:
    """{customer code: customer id} of those of `codes` that are a customer's."""
    return dict(_rows_where_in(Customer, "code", codes, "code", "id"))
