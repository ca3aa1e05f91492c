"""Reads for billing: which service points have accepted readings that are not invoiced yet."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ebok.billing.models import Invoice, InvoiceKind
from ebok.customers.models import Customer
from ebok.metering.models import MeterRole, ServicePoint
from ebok.readings.models import Reading, Status


def _billed_end() -> Coalesce:
    """Per point (as an outer reference): the latest regular invoice's end, else the point's opening date.

    The same rule as `ebok.billing.services.last_billed_end`, as an SQL expression.
    """
    last_end = (
        Invoice.objects.filter(service_point=OuterRef("pk"), kind=InvoiceKind.INVOICE)
        .order_by("-period_end")
        .values("period_end")[:1]
    )
    return Coalesce(Subquery(last_end), F("billed_until"))


def points_to_bill(up_to: dt.date) -> QuerySet[ServicePoint]:
    """Service points with accepted readings dated after their last invoice and on or before `up_to`.

    One query: each point is annotated with `billed_end` (the last day already invoiced) and `bill_to`, the
    day its next invoice should end on: the latest such reading date of its main meters, or of any meter
    when none of its main meters has one (a point with only additional meters; or a main reading that is
    missing, which `invoice_issue` then reports as `missing_reading`). Held, refused and withdrawn
    readings are not counted, nor readings after `up_to`. Ordered by id.
    """
    waiting = Reading.objects.filter(status=Status.ACCEPTED, billed=False, date__lte=up_to)
    unbilled = waiting.filter(meter__service_point=OuterRef("pk"), date__gt=OuterRef("billed_end"))
    latest_main = unbilled.filter(meter__role=MeterRole.MAIN).order_by("-date").values("date")[:1]
    latest_any = unbilled.order_by("-date").values("date")[:1]
    return (
        # Only points with readings waiting for an invoice (a small partial index, whatever the city's size)
        # are looked at; the rule itself is the Exists below.
        ServicePoint.objects.filter(pk__in=waiting.values("meter__service_point_id"))
        .annotate(billed_end=_billed_end())
        .filter(Exists(unbilled))
        .annotate(bill_to=Coalesce(Subquery(latest_main), Subquery(latest_any)))
        .order_by("pk")
    )


def invoices_for_customer(customer: Customer | int) -> QuerySet[Invoice]:
    """A customer's invoices and corrections, newest first (the ownership check of the portal's invoices)."""
    return (
        Invoice.objects.filter(customer=customer)
        .select_related("corrects", "service_point")
        .order_by("-issue_date", "-id")
    )
