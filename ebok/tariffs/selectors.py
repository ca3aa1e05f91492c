"""Reads of tariffs: which versions of a group's prices apply to a period, and what a new version affects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ebok.billing.calc import TariffPrices
from ebok.billing.models import Invoice, InvoiceKind
from ebok.metering.models import ServicePoint
from ebok.tariffs.models import Tariff, TariffGroup


def tariffs_for_period(group: TariffGroup | int, start: dt.date, end: dt.date) -> list[Tariff]:
    """The versions in force on some day of [start, end], oldest first."""
    group_id = group if isinstance(group, int) else group.pk
    return versions_in_force(list(Tariff.objects.filter(group_id=group_id, valid_from__lte=end)), start, end)


def versions_in_force(versions: list[Tariff], start: dt.date, end: dt.date) -> list[Tariff]:
    """Of one group's `versions` (any order), those in force on some day of [start, end], oldest first."""
    ordered = sorted(versions, key=lambda t: t.valid_from)
    at_start = [t for t in ordered if t.valid_from <= start][-1:]
    later = [t for t in ordered if start < t.valid_from <= end]
    return [t for t in at_start + later if t.valid_to is None or t.valid_to >= start]


def tariff_prices(tariff: Tariff) -> TariffPrices:
    return TariffPrices(
        valid_from=tariff.valid_from,
        water_price=tariff.water_price,
        sewage_price=tariff.sewage_price,
        subscription_fee=tariff.subscription_fee,
        sewage_subscription_fee=tariff.sewage_subscription_fee,
        fee_period_months=tariff.fee_period_months,
        vat_rate=tariff.vat_rate,
    )


def tariff_in_force(group: TariffGroup, day: dt.date) -> Tariff | None:
    return (
        Tariff.objects.filter(group=group, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )


def groups_with_tariffs() -> QuerySet[TariffGroup]:
    """Every tariff group with its price versions (oldest first) in `versions` and its number of `points`."""
    return (
        TariffGroup.objects.annotate(
            points=Subquery(
                ServicePoint.objects.filter(tariff_group=OuterRef("pk"))
                .values("tariff_group")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            )
        )
        .prefetch_related(
            Prefetch("tariffs", queryset=Tariff.objects.order_by("valid_from"), to_attr="versions")
        )
        .order_by("code")
    )


@dataclass(frozen=True, slots=True)
class AffectedInvoice:
    invoice: Invoice
    days_after: int  # days of its period on or after the new tariff's first day


@dataclass(frozen=True, slots=True)
class TariffImpact:
    """What a new tariff of a group valid from a day does to the group's service points and invoices."""

    group: TariffGroup
    valid_from: dt.date
    points: int  # service points in the group
    invoices: list[AffectedInvoice]  # already issued for days on or after valid_from: to be corrected
    points_invoiced_after: int  # points with such invoices
    points_split: int  # next invoice starts before valid_from: its days are split at the change (§4)
    points_new_prices: int  # next invoice starts on valid_from: all of it at the new prices


def tariff_impact(group: TariffGroup, valid_from: dt.date) -> TariffImpact:
    """Which invoices a new tariff of `group` from `valid_from` affects (billing-rules §4).

    An invoice of the group's points whose period reaches valid_from or later was computed at the old
    prices for those days: it needs a correction. Every other point's next invoice starts the day after its
    last invoice (or its opening date): if that is before valid_from, the invoice will be split at the
    change and its consumption divided by days; if it is valid_from itself, all of it uses the new prices.
    Points are counted in the group they are in now.
    """
    last_end = (
        Invoice.objects.filter(service_point=OuterRef("pk"), kind=InvoiceKind.INVOICE)
        .order_by("-period_end")
        .values("period_end")[:1]
    )
    points = ServicePoint.objects.filter(tariff_group=group).annotate(
        billed_end=Coalesce(Subquery(last_end), F("billed_until"))
    )
    the_day_before = valid_from - dt.timedelta(days=1)
    counts = points.aggregate(
        total=Count("pk"),
        after=Count("pk", filter=Q(billed_end__gte=valid_from)),
        split=Count("pk", filter=Q(billed_end__lt=the_day_before)),
        new=Count("pk", filter=Q(billed_end=the_day_before)),
    )
    invoices = (
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE, service_point__tariff_group=group, period_end__gte=valid_from
        )
        .select_related("customer", "service_point")
        .order_by("period_end", "number")
    )
    return TariffImpact(
        group=group,
        valid_from=valid_from,
        points=counts["total"],
        invoices=[
            AffectedInvoice(i, (i.period_end - max(i.period_start, valid_from)).days + 1) for i in invoices
        ],
        points_invoiced_after=counts["after"],
        points_split=counts["split"],
        points_new_prices=counts["new"],
    )
