"""Reports on payments and debt for the back-office: figures per month of a year (reads only)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Min, Q, Sum
from django.db.models.functions import TruncMonth

from ebok.common import clock
from ebok.payments.debtors import debt_summary, debtors
from ebok.payments.models import LedgerEntry, Payment

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=15, decimal_places=2)


def months_of(year: int) -> list[dt.date]:
    """The first days of the year's months, up to the current month for the current year."""
    today = clock.today()
    last = today.month if year == today.year else 12
    return [] if year > today.year else [dt.date(year, month, 1) for month in range(1, last + 1)]


def month_start(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def money(value: Decimal | None) -> Decimal:
    """A sum from the database in grosze (SQLite adds decimals as floats: 48.4000000000000)."""
    return Decimal(value or 0).quantize(ZERO)


def years(model, field: str) -> list[int]:
    """From the current year back to the year of the oldest row of `model` by its date `field`, newest first."""
    current = clock.today().year
    first = model.objects.aggregate(first=Min(field))["first"]
    return list(range(current, min(first.year, current) - 1, -1)) if first else [current]


def payment_years() -> list[int]:
    return years(Payment, "received_on")


def debt_years() -> list[int]:
    return years(LedgerEntry, "booked_on")


@dataclass(frozen=True, slots=True)
class PaymentMonth:
    month: dt.date
    count: int
    total: Decimal
    matched: Decimal
    unmatched: Decimal


def payments_per_month(year: int) -> list[PaymentMonth]:
    """Payments received per month: how many, how much, and how much of it is not assigned to a customer."""
    rows = (
        Payment.objects.filter(received_on__year=year)
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .annotate(
            count=Count("id"),
            total=Sum("amount", output_field=MONEY),
            unmatched=Sum("amount", filter=Q(customer__isnull=True), output_field=MONEY),
        )
    )
    by_month = {month_start(row["month"]): row for row in rows}
    result = []
    for month in months_of(year):
        row = by_month.get(month, {})
        total, unmatched = money(row.get("total")), money(row.get("unmatched"))
        result.append(PaymentMonth(month, row.get("count", 0), total, total - unmatched, unmatched))
    return result


@dataclass(frozen=True, slots=True)
class DebtMonth:
    day: dt.date  # the month's last day, or today for the current month
    debtors: int
    open_total: Decimal
    overdue_total: Decimal


def debt_at_month_ends(year: int) -> list[DebtMonth]:
    """Open and overdue totals at the end of each month of the year (today for the current month), from the
    ledger as it stood on that day. A few queries per month."""
    today = clock.today()
    result = []
    for month in months_of(year):
        day = min(dt.date(year, month.month, calendar.monthrange(year, month.month)[1]), today)
        summary = debt_summary(debtors(day, with_interest=False))
        result.append(DebtMonth(day, summary.debtors, summary.open_total, summary.overdue_total))
    return result
