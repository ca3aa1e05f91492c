"""Parsing what people and banks type: shared by readings, the customer import and bank statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.common.parsing import csv_rows, parse_date, parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 234,50", D("1234.50")), ("1234.5", D("1234.5")), ("\u00a07,0 ", D("7.0")), ("-45,00", D("-45.00"))],
)
def test_decimals_are_read_with_a_comma_or_a_dot_and_spaces(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "1,2,3"])
def test_what_is_not_a_finite_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["2025-04-10", "10.04.2025", "10-04-2025", " 2025-04-10 "])
def test_dates_in_the_usual_polish_forms(text):
    assert parse_date(text) == dt.date(2025, 4, 10)


@pytest.mark.parametrize("text", ["", "10/04/2025", "2025-02-30", "yesterday"])
def test_other_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text", ["\ufeffa;b\n1;2,5\n", 'a,b\n1,"2,5"\n'])
def test_csv_separator_is_detected_and_a_bom_ignored(text):
    rows = csv_rows(text)

    assert rows.fieldnames == ["a", "b"]
    assert list(rows) == [{"a": "1", "b": "2,5"}]
