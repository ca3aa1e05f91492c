"""Request and response shapes of API v1. Money and quantities travel as decimal strings ("123.45")."""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, PlainSerializer, Strict, WithJsonSchema

# Decimals always serialise as strings, with the places the database keeps.
Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]
Quantity = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.3f}", return_type=str, when_used="json")]
Price = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.4f}", return_type=str, when_used="json")]
Rate = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.4f}", return_type=str, when_used="json")]

# Input types that accept exactly what the OpenAPI schema documents and nothing Pydantic would coerce on
# top: no 0 or "0" as a date (a Unix timestamp), no false or "3" as a number, no 1 or "yes" as a boolean,
# no NUL character (PostgreSQL cannot store it), no date that overflows the rules' arithmetic.


def _date_type(pattern: str, message: str) -> object:
    """A date written YYYY-MM-DD and matching `pattern`, documented with it."""
    regex = re.compile(pattern)

    def check(value: object) -> object:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = value.isoformat()
        if isinstance(value, str) and regex.fullmatch(value):
            return value
        raise ValueError(message)

    return Annotated[
        dt.date,
        BeforeValidator(check),
        WithJsonSchema({"type": "string", "format": "date", "pattern": pattern}),
    ]


def _json_integer(value: object) -> object:
    if isinstance(value, bool | str):  # JSON Schema's integer is a number: 3 and 3.0, never true or "3"
        raise ValueError("Give a whole number.")
    return value


# Free text: no NUL character, and only valid Unicode.
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
# Any date, as a filter. A date that enters the books lies in 1900-2999: the rules count days and months
# around it, and year 1 or 9999 would overflow them.
IsoDate = _date_type(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "Give a date as YYYY-MM-DD.")
Date = _date_type(r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$", "Give a date as YYYY-MM-DD, from 1900 to 2999.")
Int = Annotated[int, BeforeValidator(_json_integer)]
Bool = Annotated[bool, Strict()]


def decimal_in(
    digits: int, places: int, *, ge: int | None = 0, gt: int | None = None, lt: int | None = None
) -> object:
    """A decimal input: a string such as "12.50", at most `digits` digits of which `places` after the point,
    documented by its pattern; a JSON number is accepted too, within the same bounds (its digits are
    checked as well, which a JSON Schema number cannot state)."""
    whole = digits - places
    integer = "0" if lt == 1 else f"[0-9]{{1,{whole}}}"
    nonzero = "(?=[0-9.]*[1-9])" if gt == 0 else ""
    pattern = re.compile(rf"^{nonzero}{integer}(\.[0-9]{{1,{places}}})?$")

    def check(value: object) -> object:
        if isinstance(value, str) and pattern.fullmatch(value):
            return value
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return value
        raise ValueError(
            f"Give a decimal number as a string, at most {whole} digits before the point and {places} after."
        )

    number: dict[str, object] = {
        "type": "number",
        "maximum": float(Decimal(10) ** whole - Decimal(10) ** -places),
    }
    if gt is not None:
        number["exclusiveMinimum"] = gt
    elif ge is not None:
        number["minimum"] = ge
    if lt is not None:
        del number["maximum"]
        number["exclusiveMaximum"] = lt
    return Annotated[
        Decimal,
        BeforeValidator(check),
        Field(ge=ge if gt is None else None, gt=gt, lt=lt, max_digits=digits, decimal_places=places),
        WithJsonSchema({"anyOf": [{"type": "string", "pattern": pattern.pattern}, number]}),
    ]


QuantityIn = decimal_in(12, 3)  # a meter reading or another quantity in m³

# Identifiers: database keys are 64-bit, anything outside is refused before it reaches a query.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # in a path or query string, where everything is text
ID_PATTERN = r"^[1-9][0-9]{0,17}$"  # an identifier written as text, e.g. a key of a JSON object
IdIn = Annotated[Int, Field(ge=1, le=MAX_ID)]  # in a JSON body


class Error(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class TariffOut(Schema):
    id: int
    group: str = Field(..., alias="group.code")
    valid_from: dt.date
    valid_to: dt.date | None
    water_price: Price
    sewage_price: Price
    subscription_fee: Money
    sewage_subscription_fee: Money
    fee_period_months: int
    vat_rate: Rate


class TariffIn(Schema):
    valid_from: Date
    water_price: decimal_in(10, 4)
    sewage_price: decimal_in(10, 4)
    subscription_fee: decimal_in(10, 2)
    sewage_subscription_fee: decimal_in(10, 2) = Decimal("0")
    fee_period_months: Int = Field(1, ge=1, le=3)
    vat_rate: decimal_in(5, 4, lt=1) = Decimal("0.08")


class TariffGroupOut(Schema):
    code: str
    name: str
    tariffs: list[TariffOut]


class TariffGroupIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    name: Text = Field(..., min_length=1, max_length=120)


class CustomerOut(Schema):
    code: str
    kind: str
    name: str
    nip: str
    street: str
    postal_code: str
    city: str
    email: str
    phone: str
    language: str
    bank_account: str


class CustomerIn(Schema):
    code: str = Field(..., pattern=r"^[0-9]{6}$")
    kind: Literal["person", "business"] = "person"
    name: Text = Field(..., min_length=1, max_length=200)
    nip: Text = Field("", max_length=13)
    pesel: Text = Field("", max_length=11)
    street: Text = Field(..., min_length=1, max_length=120)
    postal_code: str = Field(..., pattern=r"^[0-9]{2}-[0-9]{3}$")
    city: Text = Field(..., min_length=1, max_length=80)
    email: Text = Field("", max_length=254)
    phone: Text = Field("", max_length=30)
    language: Literal["pl", "en"] = "pl"


class OpenItemOut(Schema):
    invoice_number: str
    due_date: dt.date
    amount: Money
    paid: Money
    open: Money
    overdue: bool


class BalanceOut(Schema):
    customer_code: str
    balance: Money
    open_total: Money
    overdue_total: Money
    credit: Money
    open_items: list[OpenItemOut]


class LedgerEntryOut(Schema):
    id: int
    kind: str
    booked_on: dt.date
    due_date: dt.date | None
    amount: Money
    invoice_number: str | None = Field(None, alias="invoice.number")
    payment_id: int | None
    note: str


class MeterOut(Schema):
    id: int
    service_point_id: int
    serial_number: str
    role: str
    digits: int
    installed_on: dt.date
    installation_reading: Quantity
    removed_on: dt.date | None
    removal_reading: Quantity | None
    verification_expires_on: dt.date | None


class MeterIn(Schema):
    service_point_id: IdIn
    serial_number: Text = Field(..., min_length=1, max_length=40)
    role: Literal["main", "additional"] = "main"
    digits: Int | None = Field(None, ge=3, le=9)
    installed_on: Date
    installation_reading: QuantityIn
    verification_expires_on: Date | None = None


class MeterReplacementIn(Schema):
    on: Date
    removal_reading: QuantityIn
    new_serial_number: Text = Field(..., min_length=1, max_length=40)
    installation_reading: QuantityIn
    digits: Int | None = Field(None, ge=3, le=9)
    verification_expires_on: Date | None = None


class ServicePointOut(Schema):
    id: int
    customer_code: str = Field(..., alias="customer.code")
    tariff_group: str = Field(..., alias="tariff_group.code")
    street: str
    postal_code: str
    city: str
    has_water: bool
    has_sewage: bool
    residents: int
    opening_date: dt.date = Field(..., alias="billed_until")


class ServicePointIn(Schema):
    customer_code: str = Field(..., pattern=r"^[0-9]{6}$")
    tariff_group: Text = Field(..., min_length=1, max_length=20)
    street: Text = Field(..., min_length=1, max_length=120)
    postal_code: str = Field(..., pattern=r"^[0-9]{2}-[0-9]{3}$")
    city: Text = Field(..., min_length=1, max_length=80)
    opening_date: Date
    has_water: Bool = True
    has_sewage: Bool = True
    residents: Int = Field(1, ge=0, le=1000)
    flat_rate_norm_m3: decimal_in(6, 3) | None = None


class ReadingOut(Schema):
    id: int
    meter_id: int
    serial_number: str = Field(..., alias="meter.serial_number")
    date: dt.date
    value: Quantity
    source: str
    status: str
    reason_code: str
    reason: str = Field(..., alias="reason_text")


class ReadingIn(Schema):
    meter_id: IdIn | None = None
    serial_number: Text | None = Field(None, max_length=40)
    date: Date
    value: QuantityIn
    source: Literal["reader", "portal", "website", "phone", "email", "office", "remote", "import"] = "remote"
    issue_invoice: Bool = True


class InvoiceLineOut(Schema):
    side: str
    position: int
    kind: str
    description: str
    quantity: Quantity
    unit: str
    unit_net_price: Price
    net: Money
    vat_rate: Rate
    period_start: dt.date
    period_end: dt.date


class InvoiceMeterOut(Schema):
    side: str
    serial_number: str
    role: str
    previous_date: dt.date
    previous_value: Quantity
    new_date: dt.date
    new_value: Quantity
    consumption: Quantity


class InvoiceOut(Schema):
    id: int
    kind: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    period_start: dt.date
    period_end: dt.date
    customer_code: str
    service_point_id: int
    corrects: str | None = Field(None, alias="corrects.number")
    correction_reason: str
    bank_account: str
    total_net: Money
    total_vat: Money
    total_gross: Money
    balance_before: Money
    lines: list[InvoiceLineOut]
    meters: list[InvoiceMeterOut] = Field(..., alias="meter_readings")


class InvoiceIn(Schema):
    service_point_id: IdIn
    up_to: Date


class CorrectionIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=2000)
    # the right closing reading by meter id, {"12": "104.500"}; JSON keys are strings
    readings: dict[Annotated[str, Field(pattern=ID_PATTERN)], QuantityIn] | None = Field(
        None, json_schema_extra={"propertyNames": {"pattern": ID_PATTERN}}
    )


class ReadingResultOut(Schema):
    reading: ReadingOut
    invoice: InvoiceOut | None
    invoice_error: Error | None


Layout = Literal["a4", "receipt"]
StatementFormat = Literal[
    "mt940", "mt940-cp852", "mt940-lt", "mt940-cp852-lt", "mt940-caret", "csv", "csv-cp1250"
]


class StatementReportOut(Schema):
    transactions: int
    imported: int
    already_imported: int
    matched: int
    unmatched: int
    debits_skipped: int
    total: Money


class PaymentOut(Schema):
    id: int
    customer_code: str | None = Field(None, alias="customer.code")
    amount: Money
    received_on: dt.date
    method: str
    title: str
    invoice_number: str | None = Field(None, alias="invoice.number")
    bank_reference: str | None


class PaymentIn(Schema):
    customer_code: str | None = Field(None, pattern=r"^[0-9]{6}$")
    amount: decimal_in(13, 2, gt=0)
    received_on: Date
    method: Literal["transfer", "cash", "card", "other"] = "transfer"
    title: Text = Field("", max_length=300)
    invoice_number: Text | None = Field(None, max_length=40)
    counterparty_name: Text = Field("", max_length=200)
    counterparty_account: Text = Field("", max_length=34)
    bank_reference: Text | None = Field(None, max_length=120)


class MeOut(Schema):
    username: str
    customers: list[CustomerOut]
