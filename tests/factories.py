"""Test data built through the same services the product uses, with small, readable defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.company.models import Company, ReadingWindow
from ebok.customers.models import Customer, CustomerKind
from ebok.customers.services import customer_create
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.metering.services import meter_install, service_point_create
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from ebok.tariffs.models import Tariff, TariffGroup
from ebok.tariffs.services import tariff_create

_codes = itertools.count(100001)
_serials = itertools.count(1)

VALID_NIP = "5261040828"  # checksum-valid, used only in tests


def make_company(**overrides) -> Company:
    fields = {
        "legal_name": "Zakład Usług Komunalnych Test Sp. z o.o.",
        "short_name": "ZUK Test",
        "nip": "6572948401",
        "regon": "260123456",
        "krs": "0000123456",
        "street": "ul. Czarnowska 3",
        "postal_code": "26-065",
        "city": "Piekoszów",
        "email": "biuro@example.org",
        "office_phone": "784 048 513",
        "office_hours": "pn–pt 7:00–15:00",
        "bank_name": "Bank Testowy",
        "bank_account_prefix": "10205297",
    }
    fields.update(overrides)
    company = Company.objects.create(**fields)
    for ordinal, (sm, em, ed) in enumerate([(1, 4, 30), (5, 8, 31), (9, 12, 31)], start=1):
        ReadingWindow.objects.create(
            company=company, ordinal=ordinal, start_month=sm, end_month=em, end_day=ed
        )
    return company


def make_tariff_group(code: str = "G1", name: str = "Gospodarstwa domowe") -> TariffGroup:
    return TariffGroup.objects.create(code=code, name=name)


def make_tariff(
    group: TariffGroup,
    valid_from: dt.date = dt.date(2020, 1, 1),
    *,
    water: str = "6.24",
    sewage: str = "8.82",
    subscription: str = "17.20",
    **kwargs,
) -> Tariff:
    return tariff_create(
        actor=SYSTEM,
        group=group,
        valid_from=valid_from,
        water_price=Decimal(water),
        sewage_price=Decimal(sewage),
        subscription_fee=Decimal(subscription),
        **kwargs,
    )


def make_customer(
    *, code: str | None = None, kind: str = CustomerKind.PERSON, name: str = "Jan Kowalski", **kwargs
) -> Customer:
    if kind == CustomerKind.BUSINESS:
        kwargs.setdefault("nip", VALID_NIP)
    return customer_create(
        actor=SYSTEM,
        code=code or str(next(_codes)),
        kind=kind,
        name=name,
        street=kwargs.pop("street", "ul. Polna 1"),
        postal_code=kwargs.pop("postal_code", "26-065"),
        city=kwargs.pop("city", "Piekoszów"),
        **kwargs,
    )


def make_point(
    customer: Customer, group: TariffGroup, *, opening_date: dt.date = dt.date(2024, 12, 31), **kwargs
) -> ServicePoint:
    return service_point_create(
        actor=SYSTEM,
        customer=customer,
        tariff_group=group,
        street=kwargs.pop("street", "ul. Polna 1"),
        postal_code=kwargs.pop("postal_code", "26-065"),
        city=kwargs.pop("city", "Piekoszów"),
        opening_date=opening_date,
        residents=kwargs.pop("residents", 3),
        **kwargs,
    )


def make_meter(
    point: ServicePoint,
    *,
    reading: str = "0",
    installed_on: dt.date | None = None,
    role: str = MeterRole.MAIN,
    serial: str | None = None,
    **kwargs,
) -> Meter:
    return meter_install(
        actor=SYSTEM,
        service_point=point,
        serial_number=serial or f"WM-{next(_serials):06d}",
        installed_on=installed_on or point.billed_until,
        installation_reading=Decimal(reading),
        role=role,
        **kwargs,
    )


def make_history(customer, group, *, invoices: int, step_days: int = 30, today: dt.date):
    """A point with one meter read every `step_days` days up to `today` and an invoice after each reading."""
    opening = today - dt.timedelta(days=step_days * invoices)
    point = make_point(customer, group, opening_date=opening)
    meter = make_meter(point, reading="100")
    value = Decimal(100)
    for i in range(1, invoices + 1):
        day = opening + dt.timedelta(days=step_days * i)
        value += Decimal(step_days) * Decimal("0.3")
        reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)
        invoice_issue(actor=SYSTEM, service_point=point, up_to=day, issue_date=day)
    return point, meter
