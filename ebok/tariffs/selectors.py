"""Reads of tariffs: which versions of a group's prices apply to a period."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from ebok.billing.calc import TariffPrices
from ebok.tariffs.models import Tariff, TariffGroup


def tariffs_for_period(group: TariffGroup | int, start: dt.date, end: dt.date) -> list[Tariff]:
    """The versions in force on some day of [start, end], oldest first."""
    group_id = group if isinstance(group, int) else group.pk
    in_force_at_start = (
        Tariff.objects.filter(group_id=group_id, valid_from__lte=start).order_by("-valid_from").first()
    )
    later = Tariff.objects.filter(group_id=group_id, valid_from__gt=start, valid_from__lte=end)
    versions = ([in_force_at_start] if in_force_at_start else []) + list(later.order_by("valid_from"))
    return [t for t in versions if t.valid_to is None or t.valid_to >= start]


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
