"""Issuing invoices and correction invoices from readings (billing-rules §2–§7).

Locking rules (read these before changing anything here):
- locks are always taken in the order service point → meter → invoice counter (reading_submit and
  meter_replace lock the point before the meter too), so two writers never wait on each other in a cycle;
- the service point row (and its customer, for a consistent balance_before) is locked first for the whole
  issue, so one point is never billed twice at once; issuing for the same point and end date again returns
  the invoice already issued;
- the counter row of the series and year is locked last, just before the invoice is written, so the number
  is gap-free (a rollback returns it) and the lock is held as briefly as possible.
On SQLite, IMMEDIATE transactions serialise writers and give the same guarantees.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import translation
from django.utils.translation import gettext as _

from ebok.audit.models import AuditEntry
from ebok.audit.services import audit_entry, audit_log
from ebok.billing import calc
from ebok.billing.messages import BillingError
from ebok.billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceMeterReading,
    LineKind,
    LineSide,
)
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.company.models import Company
from ebok.company.selectors import company as get_company
from ebok.customers.models import Customer
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.payments.models import EntryKind, LedgerEntry
from ebok.payments.selectors import balance_for_customer
from ebok.readings.models import Reading, Source, Status
from ebok.tariffs.models import Tariff
from ebok.tariffs.selectors import tariff_prices, tariffs_for_period, versions_in_force

ONE_DAY = dt.timedelta(days=1)


@dataclass(slots=True)
class MeterPeriod:
    meter: Meter
    previous_date: dt.date
    previous_value: Decimal
    new_date: dt.date
    new_value: Decimal
    consumption: Decimal
    new_reading: Reading | None


@dataclass(slots=True)
class Draft:
    period_start: dt.date
    period_end: dt.date
    meters: list[MeterPeriod]
    lines: list[calc.LineDraft]
    totals: calc.Totals


# --- reading the state of a point ----------------------------------------------------------------------------


def last_billed_end(point: ServicePoint) -> dt.date:
    """The last day already invoiced: the latest regular invoice's end, else the point's opening date."""
    last = (
        Invoice.objects.filter(service_point=point, kind=InvoiceKind.INVOICE)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    return last or point.billed_until


def _consumption(
    company: Company, meter: Meter, previous: Decimal, new: Decimal, previous_date: dt.date | None = None
) -> Decimal:
    try:
        return calc.meter_consumption(
            previous,
            new,
            digits=meter.digits,
            rollover_high=company.rollover_high,
            rollover_low=company.rollover_low,
        )
    except calc.ReadingError as error:
        raise BillingError(
            "invalid_consumption",
            serial=meter.serial_number,
            reading_code=error.code,
            value=str(new),
            previous=str(previous),
            date=previous_date.isoformat() if previous_date else "",
            digits=meter.digits,
        ) from None


@dataclass(slots=True)
class PointReadings:
    """What billing reads of a point's meters for a period ending on `end`, loaded for many points at once."""

    meters: list[Meter]  # every meter of the point, in role, installation date and id order
    billed: dict[int, tuple[dt.date, Decimal]]  # meter id → where its last invoice (or correction) left it
    closing: dict[int, Reading]  # meter id → its accepted reading on the end date (the latest entered)
    held: bool  # a held reading on the end date: the invoice waits for staff


def load_point_readings(ends: dict[int, dt.date]) -> dict[int, PointReadings]:
    """PointReadings of the points `ends` maps (point id → end date), in four queries whatever their number."""
    states = {pk: PointReadings([], {}, {}, False) for pk in ends}
    days = set(ends.values())
    for meter in Meter.objects.filter(service_point_id__in=ends).order_by("role", "installed_on", "id"):
        states[meter.service_point_id].meters.append(meter)
    for point_id, day in Reading.objects.filter(
        meter__service_point_id__in=ends, date__in=days, status=Status.HELD
    ).values_list("meter__service_point_id", "date"):
        if ends[point_id] == day:
            states[point_id].held = True
    point_of = {meter.pk: meter.service_point_id for state in states.values() for meter in state.meters}
    if not point_of:
        return states
    latest_first = [F("new_date").desc(), F("id").desc()]
    last_billed = (
        InvoiceMeterReading.objects.filter(meter_id__in=point_of, side__in=[LineSide.PLAIN, LineSide.AFTER])
        .annotate(rank=Window(RowNumber(), partition_by=[F("meter_id")], order_by=latest_first))
        .filter(rank=1)
        .values_list("meter_id", "new_date", "new_value")
    )
    for meter_id, day, value in last_billed:
        states[point_of[meter_id]].billed[meter_id] = (day, value)
    closing = Reading.objects.filter(meter_id__in=point_of, date__in=days, status=Status.ACCEPTED).order_by(
        "id"
    )
    for reading in closing:
        point_id = point_of[reading.meter_id]
        if ends[point_id] == reading.date:
            states[point_id].closing[reading.meter_id] = reading
    return states


def _meter_periods(company: Company, state: PointReadings, start: dt.date, end: dt.date) -> list[MeterPeriod]:
    if state.held:
        raise BillingError("reading_held", date=end.isoformat())
    periods = []
    for meter in state.meters:
        if meter.installed_on > end or (meter.removed_on is not None and meter.removed_on < start):
            continue
        previous = state.billed.get(meter.pk) or (meter.installed_on, meter.installation_reading)
        reading = None
        if meter.removed_on is not None and meter.removed_on <= end:
            new = (meter.removed_on, meter.removal_reading)
        else:
            reading = state.closing.get(meter.pk)
            if reading is not None:
                new = (reading.date, reading.value)
            elif meter.installed_on == end:
                new = (end, meter.installation_reading)
            else:
                raise BillingError("missing_reading", serial=meter.serial_number, date=end.isoformat())
        consumption = _consumption(company, meter, previous[1], new[1], previous[0])
        periods.append(MeterPeriod(meter, previous[0], previous[1], new[0], new[1], consumption, reading))
    return periods


def _tariffs(
    point: ServicePoint, start: dt.date, end: dt.date, group_versions: list[Tariff] | None
) -> list[calc.TariffPrices]:
    if group_versions is None:
        versions = tariffs_for_period(point.tariff_group_id, start, end)
    else:
        versions = versions_in_force(group_versions, start, end)
    if not versions or versions[0].valid_from > start:
        raise BillingError("no_tariff", date=start.isoformat(), group=point.tariff_group.code)
    return [tariff_prices(t) for t in versions]


def _quantities(
    company: Company,
    point: ServicePoint,
    start: dt.date,
    end: dt.date,
    meters: list[MeterPeriod],
    has_meters: bool,
) -> tuple[Decimal, Decimal | None]:
    if not has_meters:
        norm = (
            point.flat_rate_norm_m3
            if point.flat_rate_norm_m3 is not None
            else company.default_flat_rate_norm_m3
        )
        water = calc.flat_rate_quantity(
            norm_m3_per_person_month=norm,
            residents=point.residents,
            months=calc.subscription_months(start, end),
        )
        return water, (water if point.has_sewage else None)
    water = sum((m.consumption for m in meters if m.meter.role == MeterRole.MAIN), Decimal("0.000"))
    additional = sum(
        (m.consumption for m in meters if m.meter.role == MeterRole.ADDITIONAL), Decimal("0.000")
    )
    if not point.has_sewage:
        return water, None
    try:
        return water, calc.sewage_quantity(water, additional)
    except calc.ReadingError:
        raise BillingError("reading_held", date=end.isoformat()) from None


def _split_by_readings_on_change_dates(
    point: ServicePoint,
    start: dt.date,
    end: dt.date,
    tariffs: list[calc.TariffPrices],
    meters: list[MeterPeriod],
    company: Company,
    has_meters: bool,
) -> list[calc.LineDraft] | None:
    """The utility's alternative to splitting by days (a setting): if every meter has an accepted reading on
    each tariff change date inside the period, bill each segment with what the meters really measured."""
    changes = [t.valid_from for t in tariffs if start < t.valid_from <= end]
    if not changes or not meters:
        return None
    boundaries = [start - ONE_DAY]
    values: dict[int, list[Decimal]] = {m.meter.pk: [m.previous_value] for m in meters}
    for day in changes:
        last_day = day - ONE_DAY  # the reading closes the old tariff's segment
        for m in meters:
            reading = Reading.objects.filter(meter=m.meter, date=last_day, status=Status.ACCEPTED).first()
            if reading is None:
                return None
            values[m.meter.pk].append(reading.value)
        boundaries.append(last_day)
    boundaries.append(end)
    for m in meters:
        values[m.meter.pk].append(m.new_value)
    lines: list[calc.LineDraft] = []
    for i in range(len(boundaries) - 1):
        seg_start, seg_end = boundaries[i] + ONE_DAY, boundaries[i + 1]
        seg_meters = [
            MeterPeriod(
                m.meter,
                seg_start,
                values[m.meter.pk][i],
                seg_end,
                values[m.meter.pk][i + 1],
                _consumption(company, m.meter, values[m.meter.pk][i], values[m.meter.pk][i + 1]),
                None,
            )
            for m in meters
        ]
        water, sewage = _quantities(company, point, seg_start, seg_end, seg_meters, has_meters)
        seg_tariffs = [t for t in tariffs if t.valid_from <= seg_start][-1:]
        lines += calc.compute_lines(
            period_start=seg_start,
            period_end=seg_end,
            water=water,
            sewage=sewage,
            tariffs=seg_tariffs,
            months_places=company.subscription_months_places,
        )
    return lines


def compute_draft(
    point: ServicePoint,
    start: dt.date,
    end: dt.date,
    *,
    company: Company,
    state: PointReadings | None = None,
    meters: list[MeterPeriod] | None = None,
    group_versions: list[Tariff] | None = None,
) -> Draft:
    """Everything an invoice for [start, end] would say, computed from the current data; writes nothing.

    A billing run passes what it loaded for many points at once: the point's `state` (else it is loaded
    here) and its tariff group's `group_versions` (else they are queried). A correction passes the `meters`
    as corrected instead of a state.
    """
    if meters is None:
        state = state or load_point_readings({point.pk: end})[point.pk]
        meters = _meter_periods(company, state, start, end)
    has_meters = bool(state.meters) if state is not None else point.meters.exists()
    tariffs = _tariffs(point, start, end, group_versions)
    lines = None
    if company.split_by_reading_on_change_date:
        lines = _split_by_readings_on_change_dates(point, start, end, tariffs, meters, company, has_meters)
    if lines is None:
        water, sewage = _quantities(company, point, start, end, meters, has_meters)
        lines = calc.compute_lines(
            period_start=start,
            period_end=end,
            water=water,
            sewage=sewage,
            tariffs=tariffs,
            months_places=company.subscription_months_places,
        )
    if not point.has_water:
        lines = [line for line in lines if line.kind != calc.KIND_WATER]
    return Draft(start, end, meters, lines, calc.vat_totals(lines))


def preview_invoice(*, service_point: ServicePoint, up_to: dt.date) -> Draft:
    """What an invoice up to `up_to` would be (the portal shows it before the customer confirms)."""
    return compute_draft(
        service_point, last_billed_end(service_point) + ONE_DAY, up_to, company=get_company()
    )


# --- frozen copies ------------------------------------------------------------------------------------------


def seller_copy(company: Company) -> dict:
    return {
        "name": company.legal_name,
        "street": company.street,
        "postal_code": company.postal_code,
        "city": company.city,
        "nip": company.nip,
        "regon": company.regon,
        "krs": company.krs,
        "phone": company.office_phone,
        "email": company.email,
        "website": company.website,
        "bank_name": company.bank_name,
    }


def _buyer(customer: Customer) -> dict:
    return {
        "code": customer.code,
        "kind": customer.kind,
        "name": customer.name,
        "street": customer.street,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "nip": customer.nip,
    }


def _point(point: ServicePoint) -> dict:
    return {
        "id": point.pk,
        "street": point.street,
        "postal_code": point.postal_code,
        "city": point.city,
        "tariff_group": point.tariff_group.code,
        "tariff_group_name": point.tariff_group.name,
    }


def describe_line(kind: str, start: dt.date, end: dt.date) -> tuple[str, str]:
    """Line description and unit in the active language (the customer's, at issue time)."""
    name, unit = _line_words(kind, translation.get_language())
    return f"{name} {start:%d.%m.%Y}–{end:%d.%m.%Y}", unit


@functools.lru_cache(maxsize=64)  # a billing run writes these words hundreds of thousands of times
def _line_words(kind: str, language: str) -> tuple[str, str]:
    names = {
        LineKind.WATER: _("Water supply"),
        LineKind.SEWAGE: _("Sewage collection"),
        LineKind.SUBSCRIPTION: _("Subscription fee"),
        LineKind.SEWAGE_SUBSCRIPTION: _("Sewage subscription fee"),
    }
    unit = _("month") if kind in (LineKind.SUBSCRIPTION, LineKind.SEWAGE_SUBSCRIPTION) else "m³"
    return names[kind], unit


def line_rows(invoice: Invoice, lines: list[calc.LineDraft], side: str) -> list[InvoiceLine]:
    rows = []
    for position, line in enumerate(lines, start=1):
        description, unit = describe_line(line.kind, line.period_start, line.period_end)
        rows.append(
            InvoiceLine(
                invoice=invoice,
                side=side,
                position=position,
                kind=line.kind,
                description=description,
                unit=unit,
                quantity=line.quantity,
                unit_net_price=line.unit_net_price,
                net=line.net,
                vat_rate=line.vat_rate,
                period_start=line.period_start,
                period_end=line.period_end,
            )
        )
    return rows


_COPIED_LINE_FIELDS = [
    "position",
    "kind",
    "description",
    "unit",
    "quantity",
    "unit_net_price",
    "net",
    "vat_rate",
    "period_start",
    "period_end",
]


def meter_rows(
    invoice: Invoice, meters: Sequence[MeterPeriod | InvoiceMeterReading], side: str
) -> list[InvoiceMeterReading]:
    """Frozen meter rows from computed periods or from the rows of an earlier document (same attributes)."""
    return [
        InvoiceMeterReading(
            invoice=invoice,
            side=side,
            meter=m.meter,
            serial_number=m.meter.serial_number,
            role=m.meter.role,
            previous_date=m.previous_date,
            previous_value=m.previous_value,
            new_date=m.new_date,
            new_value=m.new_value,
            consumption=m.consumption,
            new_reading=m.new_reading,
        )
        for m in meters
    ]


def _allocate_numbers(company: Company, kind: str, year: int, count: int = 1) -> list[tuple[str, int]]:
    """The next `count` numbers of the series (number, sequence): the counter row stays locked till commit."""
    InvoiceCounter.objects.bulk_create([InvoiceCounter(series=kind, year=year)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(series=kind, year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    pattern = (
        company.invoice_series_pattern if kind == InvoiceKind.INVOICE else company.correction_series_pattern
    )
    return [(pattern.format(year=year, number=n), n) for n in range(first, counter.last_number + 1)]


def invoice_row(
    *,
    actor: Actor,
    company: Company,
    seller: dict,
    point: ServicePoint,
    kind: str,
    number: tuple[str, int],
    issue_date: dt.date,
    period: tuple[dt.date, dt.date],
    totals: tuple[Decimal, Decimal, Decimal],
    balance_before: Decimal,
    issued_at: dt.datetime,
    corrects: Invoice | None = None,
    reason: str = "",
) -> Invoice:
    """An unsaved invoice with its frozen copies of the seller, buyer and point (`point.customer` loaded)."""
    customer = point.customer
    return Invoice(
        kind=kind,
        year=issue_date.year,
        sequence=number[1],
        number=number[0],
        customer=customer,
        service_point=point,
        corrects=corrects,
        correction_reason=reason,
        issue_date=issue_date,
        period_start=period[0],
        period_end=period[1],
        due_date=issue_date + dt.timedelta(days=company.due_days),
        language=customer.language,
        seller=seller,
        buyer=_buyer(customer),
        point=_point(point),
        customer_code=customer.code,
        bank_account=customer.bank_account,
        total_net=totals[0],
        total_vat=totals[1],
        total_gross=totals[2],
        balance_before=balance_before,
        channel=actor.channel,
        issued_at=issued_at,
        issued_by=actor.user,
    )


def ledger_row(invoice: Invoice) -> LedgerEntry:
    """Every issued document is a charge (or, for a correction, a difference) on the customer's ledger."""
    return LedgerEntry(
        customer_id=invoice.customer_id,
        kind=EntryKind.INVOICE if invoice.kind == InvoiceKind.INVOICE else EntryKind.CORRECTION,
        amount=invoice.total_gross,
        booked_on=invoice.issue_date,
        due_date=invoice.due_date,
        invoice=invoice,
        created_at=invoice.issued_at,
    )


def _create_invoice(
    *,
    actor: Actor,
    company: Company,
    point: ServicePoint,
    kind: str,
    issue_date: dt.date,
    period: tuple[dt.date, dt.date],
    totals: tuple[Decimal, Decimal, Decimal],
    corrects: Invoice | None = None,
    reason: str = "",
) -> Invoice:
    balance_before = balance_for_customer(point.customer)
    invoice = invoice_row(
        actor=actor,
        company=company,
        seller=seller_copy(company),
        point=point,
        kind=kind,
        number=_allocate_numbers(company, kind, issue_date.year)[0],
        issue_date=issue_date,
        period=period,
        totals=totals,
        balance_before=balance_before,
        issued_at=clock.now(),
        corrects=corrects,
        reason=reason,
    )
    invoice.save()
    ledger_row(invoice).save()
    return invoice


# --- services -------------------------------------------------------------------------------------------------


@transaction.atomic
def invoice_issue(
    *, actor: Actor, service_point: ServicePoint, up_to: dt.date, issue_date: dt.date | None = None
) -> Invoice:
    """Issue the invoice of a point for the days after its last invoice up to `up_to` (a reading date).

    Idempotent: if an invoice of this point already ends on `up_to`, that invoice is returned.
    Raises BillingError (nothing written) when it can't be issued.
    """
    point = (
        ServicePoint.objects.select_for_update(of=("self", "customer"))
        .select_related("customer", "tariff_group")
        .get(pk=service_point.pk)
    )
    existing = Invoice.objects.filter(service_point=point, kind=InvoiceKind.INVOICE, period_end=up_to).first()
    if existing is not None:
        return existing
    start = last_billed_end(point) + ONE_DAY
    if up_to < start:
        raise BillingError("already_billed", date=(start - ONE_DAY).isoformat())
    company = get_company()
    with translation.override(point.customer.language):
        draft = compute_draft(point, start, up_to, company=company)
        issue_date = issue_date or clock.today()
        invoice = _create_invoice(
            actor=actor,
            company=company,
            point=point,
            kind=InvoiceKind.INVOICE,
            issue_date=issue_date,
            period=(start, up_to),
            totals=(draft.totals.net, draft.totals.vat, draft.totals.gross),
        )
        InvoiceLine.objects.bulk_create(line_rows(invoice, draft.lines, LineSide.PLAIN))
    InvoiceMeterReading.objects.bulk_create(meter_rows(invoice, draft.meters, LineSide.PLAIN))
    mark_readings_billed({m.meter.pk: m.new_date for m in draft.meters})
    issued_audit_entry(actor, invoice).save()
    return invoice


def mark_readings_billed(meter_ends: dict[int, dt.date]) -> None:
    """The meters' readings up to their new invoices' ends are billed (meter id → end); one statement."""
    if not meter_ends:  # a flat-rate point has no meter; an empty condition would match every reading
        return
    by_end: dict[dt.date, list[int]] = {}
    for meter_id, end in meter_ends.items():
        by_end.setdefault(end, []).append(meter_id)
    covered = Q()
    for end, meter_ids in by_end.items():
        covered |= Q(meter_id__in=meter_ids, date__lte=end)
    Reading.objects.filter(covered, status=Status.ACCEPTED, billed=False).update(billed=True)


def issued_audit_entry(actor: Actor, invoice: Invoice) -> AuditEntry:
    return audit_entry(
        actor=actor,
        action="invoice.issued",
        obj=invoice,
        customer_id=invoice.customer_id,
        data={
            "number": invoice.number,
            "gross": str(invoice.total_gross),
            "period": [invoice.period_start.isoformat(), invoice.period_end.isoformat()],
        },
    )


def _current_state(original: Invoice) -> tuple[Invoice, list[InvoiceLine], list[InvoiceMeterReading]]:
    """The document whose figures are in force: the latest correction of the invoice, else the invoice."""
    latest = original.corrections.order_by("-id").first()
    if latest is None:
        return (
            original,
            list(original.lines.filter(side=LineSide.PLAIN)),
            list(original.meter_readings.filter(side=LineSide.PLAIN).select_related("meter")),
        )
    return (
        latest,
        list(latest.lines.filter(side=LineSide.AFTER)),
        list(latest.meter_readings.filter(side=LineSide.AFTER).select_related("meter")),
    )


@transaction.atomic
def invoice_correct(
    *,
    actor: Actor,
    invoice: Invoice,
    reason: str,
    readings: dict[int, Decimal] | None = None,
    issue_date: dt.date | None = None,
) -> Invoice:
    """Issue a correction invoice (KOREKTA, art. 106j) for `invoice`.

    `readings` maps meter ids to the right closing value when a reading was wrong; without it the invoice
    is recomputed at the prices now recorded for its period (a price correction). The correction lists the
    lines before and after and its totals are the difference; the ledger takes the difference.
    """
    if not reason.strip():
        raise BillingError("reason_required")
    original = invoice.corrects if invoice.is_correction else invoice
    point = (
        ServicePoint.objects.select_for_update(of=("self", "customer"))
        .select_related("customer", "tariff_group")
        .get(pk=original.service_point_id)
    )
    company = get_company()
    _state_doc, before_lines, before_meters = _current_state(original)
    readings = readings or {}
    if readings and original.period_end != last_billed_end(point):
        latest = (
            Invoice.objects.filter(service_point=point, kind=InvoiceKind.INVOICE)
            .order_by("-period_end")
            .first()
        )
        raise BillingError("correct_later_invoice_first", number=latest.number if latest else "")
    after_meters = []
    for m in before_meters:
        new_value = readings.get(m.meter_id, m.new_value)
        reading = m.new_reading
        if m.meter_id in readings and new_value != m.new_value:
            reading = _replace_reading(actor, m, new_value, original)
        after_meters.append(
            MeterPeriod(
                m.meter,
                m.previous_date,
                m.previous_value,
                m.new_date,
                new_value,
                _consumption(company, m.meter, m.previous_value, new_value, m.previous_date),
                reading,
            )
        )
    with translation.override(original.language):
        draft = compute_draft(
            point, original.period_start, original.period_end, company=company, meters=after_meters
        )
        before_totals = calc.vat_totals(before_lines)
        diff = (
            draft.totals.net - before_totals.net,
            draft.totals.vat - before_totals.vat,
            draft.totals.gross - before_totals.gross,
        )
        same_lines = [(line.kind, line.quantity, line.unit_net_price, line.net) for line in draft.lines] == [
            (line.kind, line.quantity, line.unit_net_price, line.net) for line in before_lines
        ]
        if same_lines:
            raise BillingError("nothing_to_correct")
        correction = _create_invoice(
            actor=actor,
            company=company,
            point=point,
            kind=InvoiceKind.CORRECTION,
            issue_date=issue_date or clock.today(),
            period=(original.period_start, original.period_end),
            totals=diff,
            corrects=original,
            reason=reason.strip(),
        )
        # The lines in force before, copied as they were printed (texts included).
        before_rows = [
            InvoiceLine(
                invoice=correction, side=LineSide.BEFORE, **{f: getattr(line, f) for f in _COPIED_LINE_FIELDS}
            )
            for line in before_lines
        ]
        InvoiceLine.objects.bulk_create(before_rows + line_rows(correction, draft.lines, LineSide.AFTER))
    InvoiceMeterReading.objects.bulk_create(
        meter_rows(correction, before_meters, LineSide.BEFORE)
        + meter_rows(correction, after_meters, LineSide.AFTER)
    )
    audit_log(
        actor=actor,
        action="invoice.corrected",
        obj=correction,
        customer_id=point.customer_id,
        data={
            "number": correction.number,
            "corrects": original.number,
            "reason": reason.strip(),
            "difference": str(correction.total_gross),
        },
    )
    return correction


def _replace_reading(actor: Actor, billed: InvoiceMeterReading, value: Decimal, original: Invoice) -> Reading:
    """A wrong billed reading is withdrawn and the right one recorded in its place (both audited)."""
    old = billed.new_reading
    if old is not None:
        old.status = Status.WITHDRAWN
        old.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="reading.withdrawn",
            obj=old,
            customer_id=original.customer_id,
            data={"value": str(old.value), "corrected_to": str(value), "invoice": original.number},
        )
    new = Reading.objects.create(
        meter=billed.meter,
        billed=True,  # on the corrected invoice
        date=billed.new_date,
        value=value,
        source=Source.OFFICE,
        status=Status.ACCEPTED,
        entered_by=actor.user,
        created_at=clock.now(),
        note=_("Correction of invoice %(number)s") % {"number": original.number},
    )
    audit_log(
        actor=actor,
        action="reading.accepted",
        obj=new,
        customer_id=original.customer_id,
        data={"value": str(value), "date": billed.new_date.isoformat(), "correction_of": original.number},
    )
    return new
