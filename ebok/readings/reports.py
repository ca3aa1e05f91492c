"""Reports on readings for the back-office: readings received per reading window and source (reads only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from ebok.company.models import ReadingWindow
from ebok.payments.reports import years
from ebok.readings.models import Reading, Source


@dataclass(frozen=True, slots=True)
class WindowRow:
    window: ReadingWindow | None  # None: readings dated outside every window
    by_source: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_source.values())

    @property
    def counts(self) -> list[int]:
        return [self.by_source[source] for source in Source.values]


def reading_years() -> list[int]:
    return years(Reading, "date")


def _in_window(day: dt.date, window: ReadingWindow) -> bool:
    start, end, here = (
        (window.start_month, window.start_day),
        (window.end_month, window.end_day),
        (day.month, day.day),
    )
    if start <= end:
        return start <= here <= end
    return here >= start or here <= end  # a window across the new year (e.g. 1 Dec – 31 Jan)


def readings_per_window(year: int) -> list[WindowRow]:
    """Readings of the year (by reading date, whatever their outcome) per reading window and source; a last
    row for readings dated outside every window, if any. One query (counts per day and source)."""
    windows = list(ReadingWindow.objects.order_by("ordinal"))
    rows = {w.pk: WindowRow(w, dict.fromkeys(Source.values, 0)) for w in windows}
    outside = WindowRow(None, dict.fromkeys(Source.values, 0))
    counts = (
        Reading.objects.filter(date__year=year).values("date", "source").annotate(n=Count("id")).order_by()
    )
    for row in counts:
        window = next((w for w in windows if _in_window(row["date"], w)), None)
        target = rows[window.pk] if window else outside
        target.by_source[row["source"]] = target.by_source.get(row["source"], 0) + row["n"]
    return list(rows.values()) + ([outside] if outside.total else [])
