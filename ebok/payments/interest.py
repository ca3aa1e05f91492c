"""Interest for late payment (billing-rules §8): counted per day, split at every change of the rate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

ZERO = Decimal("0.00")
ONE_DAY = dt.timedelta(days=1)
DAYS_IN_YEAR = 365


class Rate(NamedTuple):
    valid_from: dt.date
    annual_percent: Decimal


class MissingRate(LookupError):
    """The rate table does not reach back to a day that bears interest."""

    def __init__(self, day: dt.date):
        self.day = day
        super().__init__(f"no interest rate in force on {day.isoformat()}")


def interest(amount: Decimal, due_date: dt.date, until: dt.date, rates: Iterable[Rate]) -> Decimal:
    """Interest on `amount` paid late: from the day after `due_date` up to and including `until`.

    - Days: interest starts the day after the due date and runs to `until` inclusive (the day of payment, or
      the day the debt is looked at), so a payment on the due date owes nothing and one a day late owes one
      day.
    - Each day bears the rate in force on it: the row with the latest `valid_from` on or before that day.
      The days are split into segments at every change of rate, and each segment adds
      amount × percent / 100 × days / 365 — actual/365: every calendar day is 1/365 of a year's interest,
      in leap years too (the convention of the calculators of the courts and of ZUS; **choice**).
    - Rounding (**choice**): the segments are added exactly (as fractions) and the sum is rounded once, half
      up to whole grosze (as every amount, billing-rules §6), so splitting at a rate change adds no rounding
      error of its own.

    Raises MissingRate if a day to be charged is before the first rate of the table.
    """
    if amount <= 0 or until <= due_date:
        return ZERO
    start = due_date + ONE_DAY
    ordered = sorted(rates, key=lambda rate: rate.valid_from)
    if not ordered or ordered[0].valid_from > start:
        raise MissingRate(start)
    total = Fraction(0)
    for index, rate in enumerate(ordered):
        following = ordered[index + 1].valid_from if index + 1 < len(ordered) else None
        first = max(start, rate.valid_from)
        last = min(until, following - ONE_DAY) if following else until
        if last < first:
            continue
        days = (last - first).days + 1
        total += Fraction(amount) * Fraction(rate.annual_percent) / 100 * days / DAYS_IN_YEAR
    grosze = int(total * 100 + Fraction(1, 2))  # half up; the total is never negative
    return (Decimal(grosze) / 100).quantize(ZERO)
