"""API v1 (interfaces.md): staff and integrations under /api/v1/, customers' own data under /api/v1/me/.

Views only translate HTTP to the domain services and back; every rule lives in the services.
No "from __future__ import annotations" here: Ninja reads the annotations at runtime.
"""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from ebok.accounts.selectors import customers_for_user
from ebok.api import schemas as s
from ebok.api.auth import AUTH, actor, require, require_object
from ebok.billing.documents import render_invoice_pdf, render_receipt_pdf
from ebok.billing.documents.ksef import KsefError, invoice_to_valid_fa3
from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice
from ebok.billing.services import invoice_correct, invoice_issue
from ebok.common import clock, faults
from ebok.customers.models import Customer
from ebok.customers.services import customer_create
from ebok.metering.models import Meter, ServicePoint
from ebok.metering.services import meter_install, meter_replace, service_point_create
from ebok.payments.models import LedgerEntry, Payment
from ebok.payments.selectors import balance_for_customer, settlement_for_customer
from ebok.payments.services import payment_record
from ebok.payments.statements import BANK_FORMATS, statement_import
from ebok.readings.models import Reading
from ebok.readings.services import IdempotencyConflict, ReadingInputError, reading_submit
from ebok.tariffs.models import TariffGroup
from ebok.tariffs.services import tariff_create

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="EBOK API",
    version="1",
    description="Customers, meters, readings, invoices and payments of a water utility. "
    "Authenticate with `Authorization: Bearer <token>` (`ebok create-api-token USERNAME`). "
    "Money and quantities are decimal strings; every creating POST accepts an `Idempotency-Key` header.",
    auth=AUTH,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

MAX_PAGE = 1000
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    """Limit and offset with documented bounds: an offset beyond any integer the database takes was a 500."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


ERRORS = {400: s.Error, 401: s.Error, 403: s.Error, 404: s.Error, 409: s.Error, 422: s.Error}


# --- errors: always {"code", "message"} (+ "fields"), never a 500 on bad input ------------------------------


def _error(request, status: int, code: str, message: str, fields: dict | None = None):
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def _validation(request, exc):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = ".".join(str(part) for part in error.get("loc", [])[1:]) or "body"
        fields.setdefault(loc, []).append(error.get("msg", "invalid"))
    return _error(request, 422, "validation_error", "The request is not valid.", fields)


@api.exception_handler(DjangoValidationError)
def _domain_validation(request, exc):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(
        request, 422, "validation_error", "; ".join(m for ms in fields.values() for m in ms), fields
    )


OUT_OF_RANGE = "An amount or quantity is too large to be recorded."


def _numeric_overflow(exc: DataError) -> bool:
    """PostgreSQL's numeric_value_out_of_range (SQLSTATE 22003): each input was within its bounds but
    together they are absurd, e.g. a balance beyond 10^11 zł after huge payments. (SQLite stores them.)"""
    return getattr(exc.__cause__, "sqlstate", None) == "22003"


@api.exception_handler(DataError)
def _out_of_range(request, exc):
    if not _numeric_overflow(exc):
        raise exc  # any other data error is ours and stays a server error
    logger.warning("API request refused, a number out of range: %s %s: %s", request.method, request.path, exc)
    return _error(request, 422, "out_of_range", OUT_OF_RANGE)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "unauthorized", "Give a valid token: Authorization: Bearer <token>.")


@api.exception_handler(HttpError)
def _http(request, exc):
    codes = {403: "forbidden", 404: "not_found", 409: "conflict", 400: "bad_request"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(BillingError)
def _billing(request, exc):
    return _error(request, 409, exc.code, exc.message)


@api.exception_handler(ReadingInputError)
def _reading_input(request, exc):
    return _error(request, 422, exc.code, str(exc), {"value": [str(exc)]})


@api.exception_handler(IdempotencyConflict)
def _reading_conflict(request, exc):
    return _error(
        request, 409, "idempotency_key_reused", "This idempotency key was used for another reading."
    )


class DateRange(Schema):
    customer_code: s.Text | None = None
    date_from: s.IsoDate | None = None
    date_to: s.IsoDate | None = None


def _in_range(qs: QuerySet, field: str, filters: DateRange) -> QuerySet:
    if filters.date_from:
        qs = qs.filter(**{f"{field}__gte": filters.date_from})
    if filters.date_to:
        qs = qs.filter(**{f"{field}__lte": filters.date_to})
    return qs


def _customer(code: str) -> Customer:
    return get_object_or_404(Customer, code=code)


# --- tariffs ----------------------------------------------------------------------------------------------------

staff = Router(tags=["staff"])


@staff.get("/tariff-groups", response={200: list[s.TariffGroupOut], **ERRORS})
def tariff_groups(request: HttpRequest):
    require(request, "tariffs.view_tariff")
    return TariffGroup.objects.prefetch_related("tariffs__group").order_by("code")


@staff.post("/tariff-groups", response={201: s.TariffGroupOut, **ERRORS})
def tariff_group_create(request: HttpRequest, payload: s.TariffGroupIn):
    require(request, "tariffs.add_tariffgroup")
    if TariffGroup.objects.filter(code=payload.code).exists():
        raise HttpError(409, "A tariff group with this code exists.")
    return Status(201, TariffGroup.objects.create(code=payload.code, name=payload.name))


@staff.post("/tariff-groups/{code}/tariffs", response={201: s.TariffOut, **ERRORS})
def tariff_create_view(request: HttpRequest, code: s.Text, payload: s.TariffIn):
    require(request, "tariffs.add_tariff")
    group = get_object_or_404(TariffGroup, code=code)
    return Status(201, tariff_create(actor=actor(request), group=group, **payload.dict()))


# --- customers ---------------------------------------------------------------------------------------------------


class CustomerFilter(Schema):
    code: s.Text | None = None
    q: s.Text | None = None


@staff.get("/customers", response={200: list[s.CustomerOut], **ERRORS})
@paginate(Pagination)
def customers(request: HttpRequest, filters: Query[CustomerFilter]):
    require(request, "customers.view_customer")
    qs = Customer.objects.order_by("code")
    if filters.code:
        qs = qs.filter(code=filters.code)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(city__icontains=filters.q) | Q(nip=filters.q))
    return qs


@staff.post("/customers", response={201: s.CustomerOut, **ERRORS})
def customer_create_view(request: HttpRequest, payload: s.CustomerIn):
    require(request, "customers.add_customer")
    if Customer.objects.filter(code=payload.code).exists():
        raise HttpError(409, "A customer with this code exists.")
    return Status(201, customer_create(actor=actor(request), **payload.dict()))


@staff.get("/customers/{code}", response={200: s.CustomerOut, **ERRORS})
def customer_detail(request: HttpRequest, code: s.Text):
    require_object(request, "customers.view_customer")
    return _customer(code)


def _balance(customer: Customer) -> dict:
    settlement = settlement_for_customer(customer)
    today = clock.today()
    return {
        "customer_code": customer.code,
        "balance": balance_for_customer(customer),
        "open_total": settlement.open_total,
        "overdue_total": settlement.overdue_total(today),
        "credit": settlement.credit,
        "open_items": [
            {
                "invoice_number": i.number,
                "due_date": i.due_date,
                "amount": i.amount,
                "paid": i.paid,
                "open": i.open,
                "overdue": i.overdue_on(today),
            }
            for i in settlement.open_items
        ],
    }


@staff.get("/customers/{code}/balance", response={200: s.BalanceOut, **ERRORS})
def customer_balance(request: HttpRequest, code: s.Text):
    require_object(request, "payments.view_ledgerentry")
    return _balance(_customer(code))


@staff.get("/customers/{code}/ledger", response={200: list[s.LedgerEntryOut], **ERRORS})
@paginate(Pagination)
def customer_ledger(request: HttpRequest, code: s.Text):
    require_object(request, "payments.view_ledgerentry")
    return (
        LedgerEntry.objects.filter(customer=_customer(code))
        .select_related("invoice")
        .order_by("booked_on", "id")
    )


# --- service points and meters -------------------------------------------------------------------------------


@staff.get("/service-points", response={200: list[s.ServicePointOut], **ERRORS})
@paginate(Pagination)
def service_points(request: HttpRequest, customer_code: s.Text | None = None):
    require(request, "metering.view_servicepoint")
    qs = ServicePoint.objects.select_related("customer", "tariff_group").order_by("id")
    return qs.filter(customer__code=customer_code) if customer_code else qs


@staff.post("/service-points", response={201: s.ServicePointOut, **ERRORS})
def service_point_create_view(request: HttpRequest, payload: s.ServicePointIn):
    require(request, "metering.add_servicepoint")
    data = payload.dict()
    customer = _customer(data.pop("customer_code"))
    group = get_object_or_404(TariffGroup, code=data.pop("tariff_group"))
    return Status(
        201, service_point_create(actor=actor(request), customer=customer, tariff_group=group, **data)
    )


@staff.get("/service-points/{point_id}", response={200: s.ServicePointOut, **ERRORS})
def service_point_detail(request: HttpRequest, point_id: s.Id):
    require_object(request, "metering.view_servicepoint")
    return get_object_or_404(ServicePoint.objects.select_related("customer", "tariff_group"), pk=point_id)


@staff.get("/meters", response={200: list[s.MeterOut], **ERRORS})
@paginate(Pagination)
def meters(request: HttpRequest, service_point_id: s.Id | None = None, serial_number: s.Text | None = None):
    require(request, "metering.view_meter")
    qs = Meter.objects.order_by("id")
    if service_point_id:
        qs = qs.filter(service_point_id=service_point_id)
    if serial_number:
        qs = qs.filter(serial_number=serial_number)
    return qs


@staff.post("/meters", response={201: s.MeterOut, **ERRORS})
def meter_create(request: HttpRequest, payload: s.MeterIn):
    require(request, "metering.add_meter")
    data = payload.dict()
    point = get_object_or_404(ServicePoint, pk=data.pop("service_point_id"))
    if Meter.objects.filter(serial_number=data["serial_number"]).exists():
        raise HttpError(409, "A meter with this serial number exists.")
    return Status(201, meter_install(actor=actor(request), service_point=point, **data))


@staff.get("/meters/{meter_id}", response={200: s.MeterOut, **ERRORS})
def meter_detail(request: HttpRequest, meter_id: s.Id):
    require_object(request, "metering.view_meter")
    return get_object_or_404(Meter, pk=meter_id)


@staff.post("/meters/{meter_id}/replacement", response={201: s.MeterOut, **ERRORS})
def meter_replacement(request: HttpRequest, meter_id: s.Id, payload: s.MeterReplacementIn):
    require(request, "metering.change_meter")
    old = get_object_or_404(Meter, pk=meter_id)
    if Meter.objects.filter(serial_number=payload.new_serial_number).exists():
        raise HttpError(409, "A meter with this serial number exists.")
    return Status(201, meter_replace(actor=actor(request), old_meter=old, **payload.dict()))


# --- readings --------------------------------------------------------------------------------------------------


class ReadingFilter(DateRange):
    status: s.Text | None = None
    meter_id: s.Id | None = None


@staff.get("/readings", response={200: list[s.ReadingOut], **ERRORS})
@paginate(Pagination)
def readings(request: HttpRequest, filters: Query[ReadingFilter]):
    require(request, "readings.view_reading")
    qs = Reading.objects.select_related("meter").order_by("-date", "-id")
    if filters.customer_code:
        qs = qs.filter(meter__service_point__customer__code=filters.customer_code)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.meter_id:
        qs = qs.filter(meter_id=filters.meter_id)
    return _in_range(qs, "date", filters)


def _invoice_query():
    return Invoice.objects.select_related("corrects").prefetch_related("lines", "meter_readings")


def _submit_reading(request: HttpRequest, meter: Meter, payload: s.ReadingIn) -> dict:
    reading = reading_submit(
        actor=actor(request), meter=meter, value=payload.value, date=payload.date, source=payload.source
    )
    result = {"reading": reading, "invoice": None, "invoice_error": None}
    if payload.issue_invoice and reading.status == "accepted":
        try:
            invoice = invoice_issue(
                actor=actor(request), service_point=meter.service_point, up_to=reading.date
            )
            result["invoice"] = _invoice_query().get(pk=invoice.pk)
        except BillingError as error:  # the reading stays stored; the invoice can be issued later
            result["invoice_error"] = {"code": error.code, "message": error.message}
        except DataError as error:  # the reading stays stored here too
            if not _numeric_overflow(error):
                raise
            result["invoice_error"] = {"code": "out_of_range", "message": OUT_OF_RANGE}
    faults.pause("api_reading")  # test-only, see ebok/common/faults.py
    return result


@staff.post("/readings", response={201: s.ReadingResultOut, **ERRORS})
def reading_create(request: HttpRequest, payload: s.ReadingIn):
    """Record a reading; its outcome is accepted (and invoiced), held for review, or refused with a reason."""
    require(request, "readings.add_reading")
    if payload.meter_id is not None:
        meter = get_object_or_404(Meter.objects.select_related("service_point"), pk=payload.meter_id)
    elif payload.serial_number:
        meter = get_object_or_404(
            Meter.objects.select_related("service_point"), serial_number=payload.serial_number
        )
    else:
        raise HttpError(400, "Give meter_id or serial_number.")
    return Status(201, _submit_reading(request, meter, payload))


@staff.get("/readings/{reading_id}", response={200: s.ReadingOut, **ERRORS})
def reading_detail(request: HttpRequest, reading_id: s.Id):
    require_object(request, "readings.view_reading")
    return get_object_or_404(Reading.objects.select_related("meter"), pk=reading_id)


# --- invoices --------------------------------------------------------------------------------------------------


class InvoiceFilter(DateRange):
    kind: s.Text | None = None


@staff.get("/invoices", response={200: list[s.InvoiceOut], **ERRORS})
@paginate(Pagination)
def invoices(request: HttpRequest, filters: Query[InvoiceFilter]):
    require(request, "billing.view_invoice")
    qs = _invoice_query().order_by("-issue_date", "-id")
    if filters.customer_code:
        qs = qs.filter(customer_code=filters.customer_code)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return _in_range(qs, "issue_date", filters)


@staff.post("/invoices", response={201: s.InvoiceOut, **ERRORS})
def invoice_create(request: HttpRequest, payload: s.InvoiceIn):
    """Issue the invoice of a service point up to a reading date (returns the existing one if issued)."""
    require(request, "billing.add_invoice")
    point = get_object_or_404(ServicePoint, pk=payload.service_point_id)
    invoice = invoice_issue(actor=actor(request), service_point=point, up_to=payload.up_to)
    return Status(201, _invoice_query().get(pk=invoice.pk))


@staff.get("/invoices/{invoice_id}", response={200: s.InvoiceOut, **ERRORS})
def invoice_detail(request: HttpRequest, invoice_id: s.Id):
    require_object(request, "billing.view_invoice")
    return get_object_or_404(_invoice_query(), pk=invoice_id)


PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The invoice as PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
XML_RESPONSE = {
    "responses": {
        200: {
            "description": "KSeF FA(3) structured invoice",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    }
}


def _pdf(invoice: Invoice, layout: str) -> HttpResponse:
    data = render_receipt_pdf(invoice) if layout == "receipt" else render_invoice_pdf(invoice)
    response = HttpResponse(data, content_type="application/pdf")
    filename = invoice.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@staff.get("/invoices/{invoice_id}/pdf", response={200: None, **ERRORS}, openapi_extra=PDF_RESPONSE)
def invoice_pdf(request: HttpRequest, invoice_id: s.Id, layout: s.Layout = "a4"):
    """The invoice's PDF (A4, or the meter reader's 80 mm receipt with layout=receipt)."""
    require_object(request, "billing.view_invoice")
    return _pdf(get_object_or_404(_invoice_query(), pk=invoice_id), layout)


@staff.get("/invoices/{invoice_id}/ksef.xml", response={200: None, **ERRORS}, openapi_extra=XML_RESPONSE)
def invoice_ksef(request: HttpRequest, invoice_id: s.Id):
    """The KSeF FA(3) XML, validated against the official schema (409 with the reasons if it is not valid)."""
    require_object(request, "billing.view_invoice")
    invoice = get_object_or_404(_invoice_query(), pk=invoice_id)
    try:
        xml = invoice_to_valid_fa3(invoice)
    except KsefError as error:
        raise HttpError(409, str(error)) from None
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number.replace("/", "-")}.xml"'
    return response


@staff.post("/invoices/{invoice_id}/corrections", response={201: s.InvoiceOut, **ERRORS})
def invoice_correction(request: HttpRequest, invoice_id: s.Id, payload: s.CorrectionIn):
    require(request, "billing.correct_invoice")
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    correction = invoice_correct(
        actor=actor(request),
        invoice=invoice,
        reason=payload.reason,
        readings={int(meter_id): value for meter_id, value in (payload.readings or {}).items()},
    )
    return Status(201, _invoice_query().get(pk=correction.pk))


# --- payments --------------------------------------------------------------------------------------------------


class PaymentFilter(DateRange):
    matched: bool | None = None


@staff.get("/payments", response={200: list[s.PaymentOut], **ERRORS})
@paginate(Pagination)
def payments(request: HttpRequest, filters: Query[PaymentFilter]):
    require(request, "payments.view_payment")
    qs = Payment.objects.select_related("customer", "invoice").order_by("-received_on", "-id")
    if filters.customer_code:
        qs = qs.filter(customer__code=filters.customer_code)
    if filters.matched is not None:
        qs = qs.filter(customer__isnull=not filters.matched)
    return _in_range(qs, "received_on", filters)


@staff.post("/payments", response={201: s.PaymentOut, **ERRORS})
def payment_create(request: HttpRequest, payload: s.PaymentIn):
    require(request, "payments.add_payment")
    customer = _customer(payload.customer_code) if payload.customer_code else None
    invoice = None
    if payload.invoice_number:
        invoice = get_object_or_404(Invoice, number=payload.invoice_number)
    payment = payment_record(
        actor=actor(request),
        customer=customer,
        amount=payload.amount,
        received_on=payload.received_on,
        method=payload.method,
        title=payload.title,
        invoice=invoice,
        counterparty_name=payload.counterparty_name,
        counterparty_account=payload.counterparty_account,
        bank_reference=payload.bank_reference,
    )
    return Status(201, Payment.objects.select_related("customer", "invoice").get(pk=payment.pk))


@staff.post("/payments/statements", response={201: s.StatementReportOut, **ERRORS})
def statement_upload(
    request: HttpRequest, file: File[UploadedFile], format: Form[s.StatementFormat] = "mt940"
):
    """Import a bank statement (MT940 or CSV): payments matched by individual account, invoice number or customer
    code; unmatched ones wait for a clerk. Importing the same statement again imports nothing new."""
    require(request, "payments.add_payment")
    if file.size > 20 * 1024 * 1024:
        raise HttpError(422, "The statement is larger than 20 MB.")
    report = statement_import(actor=actor(request), raw=file.read(), fmt=BANK_FORMATS[format])
    if not report.ok:
        line, message = report.errors[0]
        return _error(
            request,
            422,
            "invalid_statement",
            f"line {line}: {message}",
            {"file": [f"line {n}: {m}" for n, m in report.errors]},
        )
    return Status(201, report)


# --- the customer's own data ---------------------------------------------------------------------------------

me = Router(tags=["customer"])


def my_customers(request: HttpRequest) -> QuerySet[Customer]:
    """The customer records the caller may see: the ownership check of every /me endpoint."""
    return customers_for_user(request.user)


@me.get("", response={200: s.MeOut, **ERRORS})
def me_detail(request: HttpRequest):
    return {"username": request.user.get_username(), "customers": list(my_customers(request))}


@me.get("/balance/{code}", response={200: s.BalanceOut, **ERRORS})
def me_balance(request: HttpRequest, code: s.Text):
    return _balance(get_object_or_404(my_customers(request), code=code))


@me.get("/invoices", response={200: list[s.InvoiceOut], **ERRORS})
@paginate(Pagination)
def me_invoices(request: HttpRequest):
    return _invoice_query().filter(customer__in=my_customers(request)).order_by("-issue_date", "-id")


@me.get("/invoices/{invoice_id}", response={200: s.InvoiceOut, **ERRORS})
def me_invoice(request: HttpRequest, invoice_id: s.Id):
    return get_object_or_404(_invoice_query().filter(customer__in=my_customers(request)), pk=invoice_id)


@me.get("/invoices/{invoice_id}/pdf", response={200: None, **ERRORS}, openapi_extra=PDF_RESPONSE)
def me_invoice_pdf(request: HttpRequest, invoice_id: s.Id):
    return _pdf(
        get_object_or_404(_invoice_query().filter(customer__in=my_customers(request)), pk=invoice_id), "a4"
    )


@me.get("/payments", response={200: list[s.PaymentOut], **ERRORS})
@paginate(Pagination)
def me_payments(request: HttpRequest):
    qs = Payment.objects.filter(customer__in=my_customers(request)).select_related("customer", "invoice")
    return qs.order_by("-received_on", "-id")


@me.get("/readings", response={200: list[s.ReadingOut], **ERRORS})
@paginate(Pagination)
def me_readings(request: HttpRequest):
    qs = Reading.objects.filter(meter__service_point__customer__in=my_customers(request)).select_related(
        "meter"
    )
    return qs.order_by("-date", "-id")


@me.post("/readings", response={201: s.ReadingResultOut, **ERRORS})
def me_reading_create(request: HttpRequest, payload: s.ReadingIn):
    """Submit a reading of one's own meter (source "portal"); the invoice is issued at once if accepted."""
    meters = Meter.objects.filter(service_point__customer__in=my_customers(request)).select_related(
        "service_point"
    )
    if payload.meter_id is not None:
        meter = get_object_or_404(meters, pk=payload.meter_id)
    else:
        meter = get_object_or_404(meters, serial_number=payload.serial_number or "")
    payload.source = "portal"
    return Status(201, _submit_reading(request, meter, payload))


api.add_router("/", staff)
api.add_router("/me", me)
