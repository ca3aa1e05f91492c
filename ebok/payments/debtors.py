"""Debtors: what each customer owes on a day, how late, and the interest for the delay (billing-rules §8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from ebok.common import clock
from ebok.customers.models import Customer, CustomerKind
from ebok.payments.interest import MissingRate, interest
from ebok.payments.models import InterestKind
from ebok.payments.selectors import interest_rates, settlements_of_debtors

ZERO = Decimal("0.00")


class Bucket(NamedTuple):
    """An age of the open amount by days past its due date, up to `last` (None: no end)."""

    key: str
    label: str  # for a sentence or a row header
    short: str  # for a column under the heading "days past the due date"
    last: int | None


AGE_BUCKETS = [
    Bucket("not_due", _("not due yet"), _("not due"), 0),
    Bucket("1_30", _("1–30 days"), "1–30", 30),
    Bucket("31_60", _("31–60 days"), "31–60", 60),
    Bucket("61_90", _("61–90 days"), "61–90", 90),
    Bucket("over_90", _("over 90 days"), _("over 90"), None),
]
BUCKET_KEYS = [bucket.key for bucket in AGE_BUCKETS]


def age_bucket(days_overdue: int) -> str:
    for bucket in AGE_BUCKETS:
        if bucket.last is None or days_overdue <= bucket.last:
            return bucket.key
    raise AssertionError("the last bucket has no end")


def interest_kind(customer_kind: str) -> str:
    """Businesses owe interest in commercial transactions, everyone else statutory interest for delay."""
    return InterestKind.COMMERCIAL if customer_kind == CustomerKind.BUSINESS else InterestKind.STATUTORY


@dataclass(slots=True)
class DebtItem:
    number: str  # the invoice's number ("" for an opening balance)
    due_date: dt.date
    open: Decimal
    days_overdue: int  # 0 or less: not due yet
    interest: Decimal | None  # None when the rate table does not reach back to the due date


@dataclass(slots=True)
class Debtor:
    customer_id: int
    code: str
    name: str
    kind: str
    items: list[DebtItem]
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def open_total(self) -> Decimal:
        return sum((item.open for item in self.items), ZERO)

    @property
    def overdue_total(self) -> Decimal:
        return sum((item.open for item in self.items if item.days_overdue > 0), ZERO)

    @property
    def oldest_due(self) -> dt.date:
        return min(item.due_date for item in self.items)

    @property
    def interest(self) -> Decimal | None:
        """The interest on every overdue item (None if any could not be computed)."""
        amounts = [item.interest for item in self.items if item.days_overdue > 0]
        return None if None in amounts else sum(amounts, ZERO)

    @property
    def bucket_amounts(self) -> list[Decimal]:
        return [self.buckets[key] for key in BUCKET_KEYS]


@dataclass(slots=True)
class DebtSummary:
    debtors: int
    open_total: Decimal
    overdue_total: Decimal
    buckets: dict[str, Decimal]
    interest: Decimal
    interest_unknown: int  # debtors whose interest could not be computed (debt older than the rate table)

    @property
    def bucket_amounts(self) -> list[Decimal]:
        return [self.buckets[key] for key in BUCKET_KEYS]


def debtors(as_of: dt.date | None = None, *, with_interest: bool = True) -> list[Debtor]:
    """Every customer who owes something on `as_of` (default today), from the ledger entries booked up to that
    day: the open items of their settlement, the overdue part by age, and the interest for delay on each
    overdue item, up to and including `as_of`.

    The interest is counted on what is still open on each item from the day after its due date. Interest on
    amounts that were paid late and are settled now is not included (it matters for interest notes, which
    are not issued yet).

    Queries: a constant handful (the settlements of all debtors from one ledger query, their customers, the
    two rate tables), whatever the number of customers; the arithmetic is done in Python.
    """
    as_of = as_of or clock.today()
    settlements = settlements_of_debtors(as_of)
    if not settlements:
        return []
    customers = Customer.objects.filter(pk__in=list(settlements)).only("id", "code", "name", "kind")
    rates = {kind: interest_rates(kind) for kind in InterestKind.values} if with_interest else {}
    result = []
    for customer in customers:
        items = []
        for item in settlements[customer.pk].open_items:
            days = (as_of - item.due_date).days
            amount: Decimal | None = ZERO
            if with_interest and days > 0:
                try:
                    amount = interest(item.open, item.due_date, as_of, rates[interest_kind(customer.kind)])
                except MissingRate:
                    amount = None
            items.append(DebtItem(item.number, item.due_date, item.open, days, amount))
        debtor = Debtor(customer.pk, customer.code, customer.name, customer.kind, items)
        debtor.buckets = dict.fromkeys(BUCKET_KEYS, ZERO)
        for item in items:
            debtor.buckets[age_bucket(item.days_overdue)] += item.open
        result.append(debtor)
    result.sort(key=lambda d: (-d.overdue_total, -d.open_total, d.code))
    return result


def debt_summary(rows: list[Debtor]) -> DebtSummary:
    buckets = dict.fromkeys(BUCKET_KEYS, ZERO)
    for debtor in rows:
        for key, amount in debtor.buckets.items():
            buckets[key] += amount
    return DebtSummary(
        debtors=len(rows),
        open_total=sum((d.open_total for d in rows), ZERO),
        overdue_total=sum((d.overdue_total for d in rows), ZERO),
        buckets=buckets,
        interest=sum((d.interest or ZERO for d in rows), ZERO),
        interest_unknown=sum(1 for d in rows if d.interest is None),
    )
