"""Moving over from a utility's old system: customers, service points, meters, opening readings and
balances from one CSV file, all or nothing, with a report of every rejected row and why.

The format (README, "Importing customers") has one row per meter; a customer's and a point's columns repeat
on each of its rows. A row without a meter serial number is a flat-rate point.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.db import DataError, transaction

from ebok.common.actor import Actor
from ebok.common.parsing import csv_rows, parse_date, parse_decimal
from ebok.customers.models import Customer
from ebok.customers.services import customer_create
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.metering.services import meter_install, service_point_create
from ebok.payments.services import opening_balance_record
from ebok.tariffs.models import TariffGroup

COLUMNS = [
    "customer_code",
    "kind",
    "name",
    "nip",
    "pesel",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
    "language",
    "point_street",
    "point_postal_code",
    "point_city",
    "tariff_group",
    "has_water",
    "has_sewage",
    "residents",
    "opening_date",
    "meter_serial",
    "meter_role",
    "meter_digits",
    "opening_reading",
    "verification_expires_on",
    "opening_balance",
]
REQUIRED = [
    "customer_code",
    "name",
    "street",
    "postal_code",
    "city",
    "point_street",
    "point_postal_code",
    "point_city",
    "tariff_group",
    "opening_date",
]
CUSTOMER_FIELDS = [
    "kind",
    "name",
    "nip",
    "pesel",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
    "language",
]
_BOOL = {
    "1": True,
    "tak": True,
    "t": True,
    "yes": True,
    "y": True,
    "true": True,
    "0": False,
    "nie": False,
    "n": False,
    "no": False,
    "false": False,
    "": None,
}


@dataclass
class ImportReport:
    customers: int = 0
    points: int = 0
    meters: int = 0
    balances: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


class _RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


class _Rollback(Exception):
    pass


def _date(row: dict, column: str, required: bool = False) -> dt.date | None:
    value = row.get(column, "").strip()
    if not value:
        if required:
            raise _RowError(column, "required")
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise _RowError(column, f"not a date: {value!r} (use YYYY-MM-DD or DD.MM.YYYY)") from None


def _decimal(row: dict, column: str) -> Decimal | None:
    value = row.get(column, "").strip()
    if not value:
        return None
    try:
        return parse_decimal(value)
    except ValueError:
        raise _RowError(column, f"not a number: {value!r}") from None


def _bool(row: dict, column: str, default: bool) -> bool:
    value = row.get(column, "").strip().lower()
    if value not in _BOOL:
        raise _RowError(column, f"use 1/0 or tak/nie, not {row[column]!r}")
    return default if _BOOL[value] is None else _BOOL[value]


def _int(row: dict, column: str, default: int | None) -> int | None:
    value = row.get(column, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise _RowError(column, f"not a whole number: {value!r}")
    return int(value)


def _first_error(error: ValidationError) -> tuple[str, str]:
    if hasattr(error, "error_dict"):
        column, messages = next(iter(error.message_dict.items()))
        return column, "; ".join(messages)
    return "", "; ".join(error.messages)


def read_rows(stream: IO[str]) -> tuple[list[str], list[dict]]:
    reader = csv_rows(stream.read())
    return list(reader.fieldnames or []), list(reader)


def customers_import_csv(*, actor: Actor, stream: IO[str]) -> ImportReport:
    """Import everything in the file, or nothing if any row is wrong (every wrong row is reported)."""
    report = ImportReport()
    text = stream.read()
    if "\x00" in text:  # not text at all (and PostgreSQL cannot store the character)
        report.errors.append(
            (text.count("\n", 0, text.index("\x00")) + 1, "", "a NUL character: not a text file")
        )
        return report
    try:
        header, rows = read_rows(io.StringIO(text))
    except csv.Error as error:  # e.g. a cell longer than the csv module's limit (128 kB)
        report.errors.append((1, "", f"not a CSV file we can read: {error}"))
        return report
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        if missing:
            report.errors.append((1, ",".join(missing), "missing columns"))
        if unknown:
            report.errors.append((1, ",".join(unknown), "unknown columns"))
        return report
    try:
        with transaction.atomic():
            customers: dict[str, tuple[Customer, dict]] = {}
            points: dict[tuple, ServicePoint] = {}
            for line, row in enumerate(rows, start=2):
                row = {k: (v or "").strip() for k, v in row.items() if k}
                try:
                    with transaction.atomic():
                        _import_row(actor, row, customers, points, report)
                except _RowError as error:
                    report.errors.append((line, error.column, error.message))
                except ValidationError as error:
                    report.errors.append((line, *_first_error(error)))
                except DataError:  # PostgreSQL: a number beyond its column (SQLite would have stored it)
                    report.errors.append((line, "", "a number is too large"))
            if report.errors:
                raise _Rollback
    except _Rollback:
        report.customers = report.points = report.meters = report.balances = 0
    return report


def _import_row(actor: Actor, row: dict, customers: dict, points: dict, report: ImportReport) -> None:
    for column in REQUIRED:
        if not row.get(column):
            raise _RowError(column, "required")
    code = row["customer_code"]
    data = {f: row.get(f, "") for f in CUSTOMER_FIELDS}
    data["kind"] = data["kind"] or "person"
    data["language"] = data["language"] or "pl"
    if code in customers:
        customer, first = customers[code]
        different = [f for f in CUSTOMER_FIELDS if data[f] != first[f]]
        if different:
            raise _RowError(different[0], "differs from this customer's earlier row")
        if row.get("opening_balance"):
            raise _RowError("opening_balance", "give the opening balance on one row of the customer only")
    else:
        if Customer.objects.filter(code=code).exists():
            raise _RowError("customer_code", f"customer {code} already exists")
        customer = customer_create(actor=actor, code=code, **data)
        customers[code] = (customer, data)
        report.customers += 1
        balance = _decimal(row, "opening_balance")
        if balance:
            if balance != balance.quantize(Decimal("0.01")):
                raise _RowError("opening_balance", "at most 2 decimal places")
            opening_balance_record(
                actor=actor, customer=customer, amount=balance, on=_date(row, "opening_date", required=True)
            )
            report.balances += 1
    opening = _date(row, "opening_date", required=True)
    key = (code, row["point_street"], row["point_postal_code"], row["point_city"])
    point = points.get(key)
    if point is None:
        group = TariffGroup.objects.filter(code=row["tariff_group"]).first()
        if group is None:
            raise _RowError("tariff_group", f"no tariff group {row['tariff_group']!r}")
        point = service_point_create(
            actor=actor,
            customer=customer,
            tariff_group=group,
            street=row["point_street"],
            postal_code=row["point_postal_code"],
            city=row["point_city"],
            opening_date=opening,
            has_water=_bool(row, "has_water", True),
            has_sewage=_bool(row, "has_sewage", True),
            residents=_int(row, "residents", 1),
        )
        points[key] = point
        report.points += 1
    serial = row.get("meter_serial", "")
    if not serial:
        return  # a flat-rate point
    if Meter.objects.filter(serial_number=serial).exists():
        raise _RowError("meter_serial", f"meter {serial} already exists")
    role = row.get("meter_role") or MeterRole.MAIN
    if role not in MeterRole.values:
        raise _RowError("meter_role", "use main or additional")
    reading = _decimal(row, "opening_reading")
    if reading is None:
        raise _RowError("opening_reading", "required for a meter")
    meter_install(
        actor=actor,
        service_point=point,
        serial_number=serial,
        installed_on=opening,
        installation_reading=reading,
        role=role,
        digits=_int(row, "meter_digits", None),
        verification_expires_on=_date(row, "verification_expires_on"),
    )
    report.meters += 1
