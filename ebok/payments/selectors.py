"""Balances and open items, always derived from the append-only ledger (billing-rules §8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from ebok.common import clock
from ebok.company.models import Company
from ebok.customers.models import Customer
from ebok.payments.models import EntryKind, LedgerEntry, Payment

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


def settlement_for_customer(customer: Customer | int) -> Settlement:
    """Which charges are paid, per billing-rules §8 (choice): a payment settles the invoice named in its title
    first, then open charges oldest due date first; what is left is credit, used by the next charge.
    A correction changes the amount of the invoice it corrects. Invariant: open_total − credit = balance."""
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

    named_first = Company.objects.values_list("allocate_to_named_invoice_first", flat=True).first()
    entries = (
        LedgerEntry.objects.filter(customer=customer)
        .order_by("booked_on", "id")
        .values_list(
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
    )
    for entry_id, kind, amount, booked_on, due_date, invoice_id, number, corrects_id, named_id in entries:
        if kind == EntryKind.PAYMENT:
            credit += -amount
            named = items.get(named_id) if named_id and named_first is not False else None
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
