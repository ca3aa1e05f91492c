"""Reports on invoicing for the back-office: invoices and amounts per month of a year (reads only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import TruncMonth

from ebok.billing.models import Invoice, InvoiceKind
from ebok.payments.reports import money, month_start, months_of, years

MONEY = DecimalField(max_digits=15, decimal_places=2)


@dataclass(frozen=True, slots=True)
class InvoiceMonth:
    month: dt.date
    invoices: int
    corrections: int
    net: Decimal
    vat: Decimal
    gross: Decimal  # invoices plus the differences of the corrections issued that month


def invoice_years() -> list[int]:
    return years(Invoice, "issue_date")


def invoices_per_month(year: int) -> list[InvoiceMonth]:
    """Invoices and corrections issued per month (by issue date) with their net, VAT and gross totals; a
    correction counts with its difference, so the totals are what was charged."""
    rows = (
        Invoice.objects.filter(issue_date__year=year)
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(
            invoices=Count("id", filter=Q(kind=InvoiceKind.INVOICE)),
            corrections=Count("id", filter=Q(kind=InvoiceKind.CORRECTION)),
            net=Sum("total_net", output_field=MONEY),
            vat=Sum("total_vat", output_field=MONEY),
            gross=Sum("total_gross", output_field=MONEY),
        )
    )
    by_month = {month_start(row["month"]): row for row in rows}
    result = []
    for month in months_of(year):
        row = by_month.get(month, {})
        result.append(
            InvoiceMonth(
                month,
                row.get("invoices", 0),
                row.get("corrections", 0),
                money(row.get("net")),
                money(row.get("vat")),
                money(row.get("gross")),
            )
        )
    return result
