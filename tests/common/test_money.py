"""Tests for ebok.common.money: half-up rounding, the largest-remainder split and grosze."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ebok.common.money import GROSZ, THOUSANDTH, grosze, round_money, round_quantity, split_largest_remainder

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", "1.01"),  # a half rounds up, not to even (banker's would give 1.00)
        ("2.675", "2.68"),  # the classic float trap: exact in Decimal
        ("1.0049", "1.00"),
        ("0.125", "0.13"),
        ("-1.005", "-1.01"),  # half away from zero: symmetric for corrections
        ("-1.004", "-1.00"),
        ("5", "5.00"),
    ],
)
def test_round_money_is_half_up_to_the_grosz(value: str, expected: str) -> None:
    result = round_money(D(value))
    assert result == D(expected)
    assert str(result) == expected  # always two places, ready to print


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.0005", "1.001"), ("1.0004", "1.000"), ("-1.0005", "-1.001"), ("12.5764", "12.576"), ("3", "3.000")],
)
def test_round_quantity_is_half_up_to_the_thousandth(value: str, expected: str) -> None:
    result = round_quantity(D(value))
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("total", "weights", "quantum", "expected"),
    [
        # 10 000 thousandths / 3 = 3333.33 each: floors 3333 × 3 = 9999, one left over; all remainders tie
        # at 1/3, so the earliest part gets it.
        ("10.000", [10, 10, 10], THOUSANDTH, ["3.334", "3.333", "3.333"]),
        # 2 thousandths by 1:1:2 = 0.5, 0.5, 1.0: floors 0, 0, 1, one left over; parts 0 and 1 tie at 0.5.
        ("0.002", [1, 1, 2], THOUSANDTH, ["0.001", "0.000", "0.001"]),
        # 1 thousandth by 1:2 = 1/3, 2/3: the larger remainder (the second part) wins despite coming later.
        ("0.001", [1, 2], THOUSANDTH, ["0.000", "0.001"]),
        # 50 m³ over 30 and 62 days: 16 304.348 and 33 695.652 thousandths -> 16.304 + 1 to the second.
        ("50.000", [30, 62], THOUSANDTH, ["16.304", "33.696"]),
        # A zero weight gets nothing; exact shares need no leftover.
        ("1.000", [0, 1], THOUSANDTH, ["0.000", "1.000"]),
        ("9.000", [1, 2], THOUSANDTH, ["3.000", "6.000"]),
        # Decimal weights: 1.00 by 0.5:0.25:0.25 at 0.01 is exact.
        ("1.00", [D("0.5"), D("0.25"), D("0.25")], GROSZ, ["0.50", "0.25", "0.25"]),
        # 0.10 zł by 1:1:1 at the grosz: 3.33 each -> 4, 3, 3 grosze.
        ("0.10", [1, 1, 1], GROSZ, ["0.04", "0.03", "0.03"]),
        ("0.000", [5, 7], THOUSANDTH, ["0.000", "0.000"]),
    ],
)
def test_split_largest_remainder(total: str, weights: list, quantum: Decimal, expected: list[str]) -> None:
    parts = split_largest_remainder(D(total), weights, quantum)
    assert parts == [D(e) for e in expected]
    assert [str(p) for p in parts] == expected
    assert sum(parts) == D(total)


@pytest.mark.parametrize(
    ("total", "weights", "quantum", "expected"),
    [
        # Magnitude split, then negated: -0.010 by 1:1:1 -> -0.004, -0.003, -0.003 (earliest wins the tie).
        ("-0.010", [1, 1, 1], THOUSANDTH, ["-0.004", "-0.003", "-0.003"]),
        # -10.00 by 1:2 at the grosz: 333.33 and 666.67 grosze -> 333 and 667 (the larger remainder).
        ("-10.00", [1, 2], GROSZ, ["-3.33", "-6.67"]),
    ],
)
def test_split_of_a_negative_total_rounds_toward_zero_and_adds_up(
    total: str, weights: list, quantum: Decimal, expected: list[str]
) -> None:
    parts = split_largest_remainder(D(total), weights, quantum)
    assert parts == [D(e) for e in expected]
    assert sum(parts) == D(total)
    assert [-p for p in split_largest_remainder(-D(total), weights, quantum)] == parts


@pytest.mark.parametrize("weights", [[1], [30, 62], [31, 28, 31], [1, 1, 1], [7, 0, 3, 11], [365, 1]])
def test_split_parts_always_sum_to_total_and_stay_within_one_quantum(weights: list[int]) -> None:
    weight_sum = sum(weights)
    for thousandths in range(-1500, 1501, 7):
        total = D(thousandths) * THOUSANDTH
        parts = split_largest_remainder(total, weights)
        assert sum(parts) == total
        for part, weight in zip(parts, weights, strict=True):
            assert part % THOUSANDTH == 0
            assert abs(part - total * weight / weight_sum) < THOUSANDTH


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        ("1.0005", [1, 1]),  # not a multiple of the quantum
        ("1.000", []),
        ("1.000", [0, 0]),
        ("1.000", [1, -1]),
    ],
)
def test_split_rejects_bad_input(total: str, weights: list) -> None:
    with pytest.raises(ValueError):
        split_largest_remainder(D(total), weights)


def test_split_refuses_floats() -> None:
    with pytest.raises(TypeError):
        split_largest_remainder(D("1.000"), [0.5, 0.5])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("123.45", 12345), ("0.01", 1), ("5", 500), ("162.17", 16217), ("0.00", 0), ("-3.20", -320)],
)
def test_grosze(amount: str, expected: int) -> None:
    assert grosze(D(amount)) == expected


def test_grosze_refuses_a_fraction_of_a_grosz() -> None:
    with pytest.raises(ValueError, match="grosze"):
        grosze(D("1.234"))
