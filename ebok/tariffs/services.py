"""Writes of tariffs. A new version starts on a date; the previous open-ended version ends the day before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ebok.audit.services import audit_log
from ebok.common.actor import Actor
from ebok.tariffs.models import Tariff, TariffGroup


@transaction.atomic
def tariff_create(
    *,
    actor: Actor,
    group: TariffGroup,
    valid_from: dt.date,
    water_price: Decimal,
    sewage_price: Decimal,
    subscription_fee: Decimal,
    sewage_subscription_fee: Decimal = Decimal("0"),
    fee_period_months: int = 1,
    vat_rate: Decimal = Decimal("0.08"),
    approval_note: str = "",
) -> Tariff:
    if Tariff.objects.filter(group=group, valid_from__gte=valid_from).exists():
        raise ValidationError(
            {"valid_from": _("A tariff of this group already starts on or after this date.")}
        )
    tariff = Tariff(
        group=group,
        valid_from=valid_from,
        water_price=water_price,
        sewage_price=sewage_price,
        subscription_fee=subscription_fee,
        sewage_subscription_fee=sewage_subscription_fee,
        fee_period_months=fee_period_months,
        vat_rate=vat_rate,
        approval_note=approval_note,
    )
    tariff.full_clean()
    tariff.save()
    audit_log(
        actor=actor,
        action="tariff.created",
        obj=tariff,
        data={
            "group": group.code,
            "valid_from": valid_from.isoformat(),
            "water": str(water_price),
            "sewage": str(sewage_price),
            "subscription": str(subscription_fee),
        },
    )
    return tariff
