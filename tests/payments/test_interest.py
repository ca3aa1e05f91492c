"""Interest for late payment (billing-rules §8): per day, actual/365, split at every rate change, rounded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.payments.interest import MissingRate, Rate, interest
from ebok.payments.models import InterestKind
from ebok.payments.selectors import interest_rates

d = dt.date

# Statutory interest for delay around 2025 (NBP reference rate + 5.5 pp), as seeded by the migration.
STATUTORY = [
    Rate(d(2023, 10, 5), D("11.25")),
    Rate(d(2025, 5, 8), D("10.75")),
    Rate(d(2025, 7, 3), D("10.50")),
    Rate(d(2025, 9, 4), D("10.25")),
    Rate(d(2025, 10, 9), D("10.00")),
]
# Interest in commercial transactions: reference rate on 1 January / 1 July + 10 pp, for the half-year.
COMMERCIAL = [
    Rate(d(2025, 1, 1), D("15.75")),
    Rate(d(2025, 7, 1), D("15.25")),
    Rate(d(2026, 1, 1), D("14.00")),
]
FLAT_10 = [Rate(d(2020, 1, 1), D("10.00"))]


@pytest.mark.parametrize(
    ("amount", "due", "until", "rates", "expected"),
    [
        # Paid on the due date: nothing; before it: nothing.
        ("1000.00", d(2025, 10, 10), d(2025, 10, 10), STATUTORY, "0.00"),
        ("1000.00", d(2025, 10, 10), d(2025, 10, 1), STATUTORY, "0.00"),
        # One day late: 1000 × 10% × 1/365 = 0.27397… → 0.27
        ("1000.00", d(2025, 10, 10), d(2025, 10, 11), STATUTORY, "0.27"),
        # One rate: 52.27 × 10.75% × 20/365 (11–30 June) = 0.30789… → 0.31
        ("52.27", d(2025, 6, 10), d(2025, 6, 30), STATUTORY, "0.31"),
        # Split at 9 Oct 2025: 1–8 Oct at 10.25%: 1000 × 0.1025 × 8/365 = 2.24657…
        #                      9–31 Oct at 10.00%: 1000 × 0.10 × 23/365 = 6.30136…   total 8.54794… → 8.55
        # (31 days at the old rate would be 8.71: the split matters.)
        ("1000.00", d(2025, 9, 30), d(2025, 10, 31), STATUTORY, "8.55"),
        # Split at 8 May 2025: 2–7 May at 11.25%: 100 × 0.1125 × 6/365 = 0.18493…
        #                      8–31 May at 10.75%: 100 × 0.1075 × 24/365 = 0.70684…   total 0.89178… → 0.89
        ("100.00", d(2025, 5, 1), d(2025, 5, 31), STATUTORY, "0.89"),
        # Two changes, commercial: 16–30 Jun 2025 at 15.75%: 1000 × 0.1575 × 15/365 = 6.47260…
        #                          1 Jul–31 Dec at 15.25%: 1000 × 0.1525 × 184/365 = 76.87671…
        #                          1–10 Jan 2026 at 14%:   1000 × 0.14 × 10/365 = 3.83561…   total 87.18493… → 87.18
        ("1000.00", d(2025, 6, 15), d(2026, 1, 10), COMMERCIAL, "87.18"),
        # Half up on an exact half grosz: 18.25 × 10% × 1/365 = 0.005 → 0.01 (banker's rounding would give 0.00).
        ("18.25", d(2025, 1, 1), d(2025, 1, 2), FLAT_10, "0.01"),
        # Actual/365 in a leap year: 366 days of 2024 → 365 × 10% × 366/365 = 36.60
        ("365.00", d(2023, 12, 31), d(2024, 12, 31), FLAT_10, "36.60"),
    ],
)
def test_interest_is_counted_per_day_and_split_at_each_rate_change(amount, due, until, rates, expected):
    assert interest(D(amount), due, until, rates) == D(expected)


def test_rounding_happens_once_on_the_sum_not_per_segment():
    # 10.00 over 3 days, each at its own rate: per segment 0.00274 + 0.00301 + 0.00329 → 0.00 each;
    # the exact sum 0.00904… rounds to 0.01.
    rates = [Rate(d(2025, 1, 1), D("10")), Rate(d(2025, 1, 3), D("11")), Rate(d(2025, 1, 4), D("12"))]

    assert interest(D("10.00"), d(2025, 1, 1), d(2025, 1, 4), rates) == D("0.01")


def test_the_order_of_the_rates_does_not_matter():
    assert interest(D("1000.00"), d(2025, 9, 30), d(2025, 10, 31), list(reversed(STATUTORY))) == D("8.55")


def test_a_day_before_the_first_rate_is_refused():
    with pytest.raises(MissingRate):
        interest(D("100.00"), d(2023, 9, 1), d(2023, 12, 31), STATUTORY)


@pytest.mark.django_db
def test_the_seeded_tables_match_billing_rules():
    statutory = interest_rates(InterestKind.STATUTORY)
    commercial = interest_rates(InterestKind.COMMERCIAL)

    assert Rate(d(2023, 10, 5), D("11.25")) in statutory
    assert Rate(d(2025, 10, 9), D("10.00")) in statutory  # "10% a year as of October 2025"
    assert Rate(d(2025, 1, 1), D("15.75")) in commercial
    assert Rate(d(2025, 7, 1), D("15.25")) in commercial
    # The 1000 zł example above gives the same with the seeded table.
    assert interest(D("1000.00"), d(2025, 9, 30), d(2025, 10, 31), statutory) == D("8.55")
