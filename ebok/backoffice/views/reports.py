"""Back-office: reports with a chart and its table per page (readings, invoices, payments, debt), each table
also as CSV (`/staff/reports/?format=csv&report=<name>&year=<year>`)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ebok.backoffice.access import staff_required
from ebok.backoffice.forms.payments import YearForm
from ebok.billing.reports import invoice_years, invoices_per_month
from ebok.common import clock
from ebok.payments.debtors import AGE_BUCKETS, debt_summary, debtors
from ebok.payments.reports import debt_at_month_ends, debt_years, payment_years, payments_per_month
from ebok.portal.charts import bar_chart
from ebok.readings.models import Source
from ebok.readings.reports import reading_years, readings_per_window

# --- CSV -----------------------------------------------------------------------------------------------------


def _csv_value(value) -> str:
    """Numbers as Polish Excel reads them (decimal comma), dates ISO; everything else as text."""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV download: UTF-8 with a BOM and `;` between columns, which Excel in Polish opens as it is."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return response


# --- the reports ---------------------------------------------------------------------------------------------


def _window_label(window) -> str:
    if window is None:
        return str(_("outside the reading windows"))
    return f"{window.ordinal}: {window.start_day:02d}.{window.start_month:02d}–{window.end_day:02d}.{window.end_month:02d}"


def _month_label(month: dt.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _month_short(month: dt.date) -> str:
    """Under a bar of the chart: the month's abbreviation ("sty", "Jan")."""
    return date_format(month, "b").capitalize()


def _readings(year: int) -> dict:
    rows = readings_per_window(year)
    labels = [_window_label(row.window) for row in rows]
    totals = {source: sum(row.by_source[source] for row in rows) for source in Source.values}
    # The page shows the sources that have readings this year (all eight would not fit); the CSV has them all.
    shown = [(value, label) for value, label in Source.choices if totals[value]] or Source.choices[:1]
    return {
        "rows": [
            (label, [row.by_source[value] for value, _l in shown], row)
            for label, row in zip(labels, rows, strict=True)
        ],
        "sources": shown,
        "totals": [totals[value] for value, _l in shown],
        "total": sum(totals.values()),
        "points": [(str(row.window.ordinal) if row.window else "–", Decimal(row.total)) for row in rows],
        "csv": (
            ["window", *Source.values, "total"],
            [[label, *row.counts, row.total] for label, row in zip(labels, rows, strict=True)],
        ),
    }


def _invoices(year: int) -> dict:
    rows = invoices_per_month(year)
    labels = [_month_label(row.month) for row in rows]
    return {
        "rows": list(zip(labels, rows, strict=True)),
        "totals": {
            "invoices": sum(r.invoices for r in rows),
            "corrections": sum(r.corrections for r in rows),
            "net": sum((r.net for r in rows), Decimal("0.00")),
            "vat": sum((r.vat for r in rows), Decimal("0.00")),
            "gross": sum((r.gross for r in rows), Decimal("0.00")),
        },
        "points": [(_month_short(row.month), row.gross) for row in rows],
        "csv": (
            ["month", "invoices", "corrections", "net", "vat", "gross"],
            [[r.month.strftime("%Y-%m"), r.invoices, r.corrections, r.net, r.vat, r.gross] for r in rows],
        ),
    }


def _payments(year: int) -> dict:
    rows = payments_per_month(year)
    labels = [_month_label(row.month) for row in rows]
    return {
        "rows": list(zip(labels, rows, strict=True)),
        "totals": {
            "count": sum(r.count for r in rows),
            "total": sum((r.total for r in rows), Decimal("0.00")),
            "matched": sum((r.matched for r in rows), Decimal("0.00")),
            "unmatched": sum((r.unmatched for r in rows), Decimal("0.00")),
        },
        "points": [(_month_short(row.month), row.total) for row in rows],
        "csv": (
            ["month", "payments", "total", "matched", "unmatched"],
            [[r.month.strftime("%Y-%m"), r.count, r.total, r.matched, r.unmatched] for r in rows],
        ),
    }


def _debt(year: int) -> dict:
    rows = debt_at_month_ends(year)
    labels = [row.day.strftime("%d.%m.%Y") for row in rows]
    now = debt_summary(debtors(clock.today(), with_interest=False))
    return {
        "rows": list(zip(labels, rows, strict=True)),
        "now": now,
        "now_buckets": list(zip([bucket.label for bucket in AGE_BUCKETS], now.bucket_amounts, strict=True)),
        "points": [(row.day.strftime("%d.%m"), row.overdue_total) for row in rows],
        "csv": (
            ["day", "debtors", "open", "overdue"],
            [[r.day, r.debtors, r.open_total, r.overdue_total] for r in rows],
        ),
    }


@dataclass(frozen=True)
class Report:
    title: Promise
    description: Promise
    chart_title: Promise
    unit: str  # of the chart's bars
    years: Callable[[], list[int]]
    data: Callable[[int], dict]


REPORTS = {
    "readings": Report(
        _("Readings received"),
        _("Readings per reading window and source, by the day the meter was read, whatever their outcome."),
        _("Readings per reading window"),
        "",
        reading_years,
        _readings,
    ),
    "invoices": Report(
        _("Invoices"),
        _("Invoices and corrections issued per month, with their net, VAT and gross amounts."),
        _("Gross amount invoiced per month, zł"),
        "zł",
        invoice_years,
        _invoices,
    ),
    "payments": Report(
        _("Payments"),
        _("Payments received per month, and how much of them is not assigned to a customer yet."),
        _("Payments received per month, zł"),
        "zł",
        payment_years,
        _payments,
    ),
    "debt": Report(
        _("Debt"),
        _(
            "What customers owed at the end of each month, and how much of it was overdue; the age of today's debt."
        ),
        _("Overdue debt at the end of each month, zł"),
        "zł",
        debt_years,
        _debt,
    ),
}


def _year(request: HttpRequest, report: Report) -> tuple[YearForm, int]:
    years = report.years()
    form = YearForm(request.GET if "year" in request.GET else None, years=years)
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else years[0]
    return form, year


@staff_required("payments.view_payment")
def reports(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "csv":
        report = REPORTS.get(request.GET.get("report", ""))
        if report is None:
            raise Http404("no such report")
        _form, year = _year(request, report)
        header, rows = report.data(year)["csv"]
        return csv_response(f"{request.GET['report']}-{year}.csv", header, rows)
    return render(request, "backoffice/reports/index.html", {"reports": REPORTS.items()})


@staff_required("payments.view_payment")
def report(request: HttpRequest, name: str) -> HttpResponse:
    definition = REPORTS.get(name)
    if definition is None:
        raise Http404("no such report")
    form, year = _year(request, definition)
    data = definition.data(year)
    chart = bar_chart(data["points"], title=f"{definition.chart_title} – {year}")
    return render(
        request,
        f"backoffice/reports/{name}.html",
        {
            "name": name,
            "report": definition,
            "form": form,
            "year": year,
            "data": data,
            "chart": chart,
            "chart_labels": [(bar.x + bar.width / 2, bar.label) for bar in chart.bars],
            "unit": definition.unit,
        },
    )


urlpatterns = [
    path("reports/", reports, name="reports"),
    path("reports/<slug:name>/", report, name="report"),
]
