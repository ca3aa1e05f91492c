"""Money and quantity arithmetic: half-up rounding and exact proportional splits (billing-rules §4, §6).

Everything is `Decimal`; intermediate shares are exact `Fraction`s so that no rounding happens before the one
the rules prescribe.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

GROSZ = Decimal("0.01")
THOUSANDTH = Decimal("0.001")


def round_money(value: Decimal) -> Decimal:
    """Round to whole grosze, half-up (art. 106e ust. 11 VAT act).

    ROUND_HALF_UP in `decimal` rounds half away from zero, so -1.005 becomes -1.01: a correction's negative
    amounts round symmetrically with the positive ones they reverse.
    """
    return value.quantize(GROSZ, rounding=ROUND_HALF_UP)


def round_quantity(value: Decimal) -> Decimal:
    """Round a volume (or a number of months) to 0.001, half-up."""
    return value.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def split_largest_remainder(
    total: Decimal, weights: Sequence[int | Decimal], quantum: Decimal = THOUSANDTH
) -> list[Decimal]:
    """Split `total` in proportion to `weights` into multiples of `quantum` that add up exactly to `total`.

    Largest-remainder method (billing-rules §4): every exact share is rounded down to the quantum, then the
    leftover quanta go one each to the parts with the largest remainders, the earlier part first on a tie.
    A negative total is split as its magnitude and negated, so "down" means toward zero and
    split(-x) == -split(x).

    Raises ValueError if `total` is not a multiple of `quantum`, or if the weights are empty, negative or all
    zero.
    """
    if not isinstance(total, Decimal) or not isinstance(quantum, Decimal):
        raise TypeError("total and quantum must be Decimal")
    if quantum <= 0:
        raise ValueError(f"quantum must be positive, got {quantum}")
    units_exact = Fraction(total) / Fraction(quantum)
    if units_exact.denominator != 1:
        raise ValueError(f"total {total} is not a multiple of {quantum}")
    if not weights:
        raise ValueError("no weights to split by")
    if any(isinstance(w, float) for w in weights):
        raise TypeError("weights must be int or Decimal, not float")
    shares = [Fraction(w) for w in weights]
    if any(w < 0 for w in shares):
        raise ValueError(f"negative weight in {list(weights)}")
    weight_sum = sum(shares, Fraction(0))
    if weight_sum == 0:
        raise ValueError("all weights are zero")

    units = abs(units_exact.numerator)
    exact = [units * w / weight_sum for w in shares]
    parts = [e.numerator // e.denominator for e in exact]  # floor; every exact share is >= 0 here
    leftover = units - sum(parts)  # fewer than len(parts): each floor drops less than one quantum
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    sign = -1 if total < 0 else 1
    return [Decimal(sign * n) * quantum for n in parts]


def grosze(amount: Decimal) -> int:
    """The amount as an integer number of grosze (123.45 -> 12345), e.g. for the payment QR code (§8).

    Raises ValueError for a fraction of a grosz: the amount due is always already rounded, so a sub-grosz
    amount is a bug upstream that silent rounding would hide.
    """
    scaled = amount * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of grosze")
    return int(scaled)
