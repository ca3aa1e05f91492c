"""Writes of service points and meters, including meter replacement (removal + installation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ebok.audit.services import audit_log
from ebok.common.actor import Actor
from ebok.company.selectors import company
from ebok.customers.models import Customer
from ebok.metering.models import Meter, MeterRole, Route, ServicePoint
from ebok.tariffs.models import TariffGroup


@transaction.atomic
def service_point_create(
    *,
    actor: Actor,
    customer: Customer,
    tariff_group: TariffGroup,
    street: str,
    postal_code: str,
    city: str,
    opening_date: dt.date,
    has_water: bool = True,
    has_sewage: bool = True,
    residents: int = 1,
    flat_rate_norm_m3: Decimal | None = None,
    route: Route | None = None,
    route_order: int = 0,
    reader_notes: str = "",
) -> ServicePoint:
    if not has_water and not has_sewage:
        raise ValidationError(
            {"has_water": _("A service point needs water supply, sewage collection or both.")}
        )
    point = ServicePoint(
        customer=customer,
        tariff_group=tariff_group,
        street=street,
        postal_code=postal_code,
        city=city,
        has_water=has_water,
        has_sewage=has_sewage,
        residents=residents,
        flat_rate_norm_m3=flat_rate_norm_m3,
        billed_until=opening_date,
        route=route,
        route_order=route_order,
        reader_notes=reader_notes,
    )
    point.full_clean()
    point.save()
    audit_log(
        actor=actor,
        action="service_point.created",
        obj=point,
        customer_id=customer.pk,
        data={"address": point.address},
    )
    return point


@transaction.atomic
def meter_install(
    *,
    actor: Actor,
    service_point: ServicePoint,
    serial_number: str,
    installed_on: dt.date,
    installation_reading: Decimal,
    role: str = MeterRole.MAIN,
    digits: int | None = None,
    verification_expires_on: dt.date | None = None,
) -> Meter:
    meter = Meter(
        service_point=service_point,
        serial_number=serial_number.strip(),
        role=role,
        digits=digits or company().meter_default_digits,
        installed_on=installed_on,
        installation_reading=installation_reading,
        verification_expires_on=verification_expires_on,
    )
    meter.full_clean()
    meter.save()
    audit_log(
        actor=actor,
        action="meter.installed",
        obj=meter,
        customer_id=service_point.customer_id,
        data={
            "serial": meter.serial_number,
            "on": installed_on.isoformat(),
            "reading": str(installation_reading),
            "role": role,
        },
    )
    return meter


@transaction.atomic
def meter_replace(
    *,
    actor: Actor,
    old_meter: Meter,
    on: dt.date,
    removal_reading: Decimal,
    new_serial_number: str,
    installation_reading: Decimal,
    digits: int | None = None,
    verification_expires_on: dt.date | None = None,
) -> Meter:
    """Close the old meter with its removal reading and open a new one at the same point on the same day."""
    # Lock order everywhere: service point, then meter (see ebok/billing/services.py).
    ServicePoint.objects.select_for_update().filter(pk=old_meter.service_point_id).first()
    old = Meter.objects.select_for_update().get(pk=old_meter.pk)
    if old.removed_on is not None:
        raise ValidationError(_("This meter was already removed on %(date)s.") % {"date": old.removed_on})
    if on < old.installed_on:
        raise ValidationError(_("The removal date is before the meter was installed."))
    last = old.readings.filter(status="accepted").order_by("-date").first()
    if last is not None and (on < last.date or removal_reading < last.value):
        raise ValidationError(
            _(
                "The removal reading must not be lower or earlier than the last accepted reading (%(value)s on %(date)s)."
            )
            % {"value": last.value, "date": last.date}
        )
    old.removed_on = on
    old.removal_reading = removal_reading
    old.full_clean()
    old.save(update_fields=["removed_on", "removal_reading"])
    audit_log(
        actor=actor,
        action="meter.removed",
        obj=old,
        customer_id=old.service_point.customer_id,
        data={"on": on.isoformat(), "reading": str(removal_reading)},
    )
    return meter_install(
        actor=actor,
        service_point=old.service_point,
        serial_number=new_serial_number,
        installed_on=on,
        installation_reading=installation_reading,
        role=old.role,
        digits=digits,
        verification_expires_on=verification_expires_on,
    )
