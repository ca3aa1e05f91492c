"""Reading what people and other systems type: Polish-style numbers and dates, and CSV files from Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y")
# A number as people and banks write it: digits with at most one decimal point, no exponent ("1e30") and no
# underscores ("1_000"), which Decimal() would take. MAX_DIGITS is more than any amount or quantity the
# books keep (13 digits), and keeps every caller's rounding (quantize) within Decimal's 28-digit precision.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
MAX_DIGITS = 20


def parse_decimal(text: str) -> Decimal:
    """ "1 234,50" or "1234.50" → Decimal("1234.50"); ValueError for anything that is not a plain number of
    at most MAX_DIGITS digits."""
    cleaned = str(text).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not _NUMBER.fullmatch(cleaned) or sum(c.isdigit() for c in cleaned) > MAX_DIGITS:
        raise ValueError(text)
    return Decimal(cleaned)


def parse_date(text: str) -> dt.date:
    """YYYY-MM-DD, DD.MM.YYYY or DD-MM-YYYY; ValueError otherwise."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(text)


def csv_rows(text: str) -> csv.DictReader:
    """Rows of a CSV text with a header; `;` (Polish Excel) or `,` as separator, a UTF-8 BOM ignored."""
    text = text.removeprefix("\ufeff")
    sample = text[:4096]
    # newline="": a line break inside a quoted cell, or a file from an old Mac (\r only), is read as the csv
    # module expects instead of failing with csv.Error.
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
