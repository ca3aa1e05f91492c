"""Request and response shapes of API v1. Money and quantities travel as decimal strings ("123.45")."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import PlainSerializer

# Decimals always serialise as strings, with the places the database keeps.
Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]
Quantity = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.3f}", return_type=str, when_used="json")]
Price = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.4f}", return_type=str, when_used="json")]
Rate = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.4f}", return_type=str, when_used="json")]


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
    valid_from: dt.date
    water_price: Decimal = Field(..., ge=0, max_digits=10, decimal_places=4)
    sewage_price: Decimal = Field(..., ge=0, max_digits=10, decimal_places=4)
    subscription_fee: Decimal = Field(..., ge=0, max_digits=10, decimal_places=2)
    sewage_subscription_fee: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    fee_period_months: Literal[1, 2, 3] = 1
    vat_rate: Decimal = Field(Decimal("0.08"), ge=0, lt=1, max_digits=5, decimal_places=4)


class TariffGroupOut(Schema):
    code: str
    name: str
    tariffs: list[TariffOut]


class TariffGroupIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(..., min_length=1, max_length=120)


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
    name: str = Field(..., min_length=1, max_length=200)
    nip: str = Field("", max_length=13)
    pesel: str = Field("", max_length=11)
    street: str = Field(..., min_length=1, max_length=120)
    postal_code: str = Field(..., pattern=r"^[0-9]{2}-[0-9]{3}$")
    city: str = Field(..., min_length=1, max_length=80)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
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
    service_point_id: int
    serial_number: str = Field(..., min_length=1, max_length=40)
    role: Literal["main", "additional"] = "main"
    digits: int | None = Field(None, ge=3, le=9)
    installed_on: dt.date
    installation_reading: Decimal = Field(..., ge=0, max_digits=12, decimal_places=3)
    verification_expires_on: dt.date | None = None


class MeterReplacementIn(Schema):
    on: dt.date
    removal_reading: Decimal = Field(..., ge=0, max_digits=12, decimal_places=3)
    new_serial_number: str = Field(..., min_length=1, max_length=40)
    installation_reading: Decimal = Field(..., ge=0, max_digits=12, decimal_places=3)
    digits: int | None = Field(None, ge=3, le=9)
    verification_expires_on: dt.date | None = None


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
    tariff_group: str = Field(..., min_length=1, max_length=20)
    street: str = Field(..., min_length=1, max_length=120)
    postal_code: str = Field(..., pattern=r"^[0-9]{2}-[0-9]{3}$")
    city: str = Field(..., min_length=1, max_length=80)
    opening_date: dt.date
    has_water: bool = True
    has_sewage: bool = True
    residents: int = Field(1, ge=0, le=1000)
    flat_rate_norm_m3: Decimal | None = Field(None, ge=0, max_digits=6, decimal_places=3)


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
    meter_id: int | None = None
    serial_number: str | None = Field(None, max_length=40)
    date: dt.date
    value: Decimal = Field(..., ge=0, max_digits=12, decimal_places=3)
    source: Literal["reader", "portal", "website", "phone", "email", "office", "remote", "import"] = "remote"
    issue_invoice: bool = True


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
    service_point_id: int
    up_to: dt.date


class CorrectionIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)
    readings: dict[int, Decimal] | None = None


class ReadingResultOut(Schema):
    reading: ReadingOut
    invoice: InvoiceOut | None
    invoice_error: Error | None


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
    amount: Decimal = Field(..., gt=0, max_digits=13, decimal_places=2)
    received_on: dt.date
    method: Literal["transfer", "cash", "card", "other"] = "transfer"
    title: str = Field("", max_length=300)
    invoice_number: str | None = Field(None, max_length=40)
    counterparty_name: str = Field("", max_length=200)
    counterparty_account: str = Field("", max_length=34)
    bank_reference: str | None = Field(None, max_length=120)


class MeOut(Schema):
    username: str
    customers: list[CustomerOut]
