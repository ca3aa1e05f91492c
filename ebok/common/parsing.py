"""Reading what people and other systems type: Polish-style numbers and dates, and CSV files from Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y")


def parse_decimal(text: str) -> Decimal:
    """ "1 234,50" or "1234.50" → Decimal("1234.50"); ValueError for anything that is not a finite number."""
    cleaned = str(text).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


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
    return csv.DictReader(io.StringIO(text), delimiter=";" if sample.count(";") > sample.count(",") else ",")
