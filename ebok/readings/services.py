"""Submitting meter readings: validation (refuse / hold for review / accept) per billing-rules §3 and §9.

A reading that passes is stored at once and is never lost, whatever happens to invoicing afterwards.
Refused readings are stored too (staff see what customers tried); input that is not a reading at all
(not a number, negative, too many digits) raises ReadingInputError and stores nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ebok.audit.services import audit_log
from ebok.billing.calc import ReadingError, meter_consumption
from ebok.billing.models import Invoice, InvoiceKind
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.common.images import clean_photo
from ebok.common.parsing import parse_decimal
from ebok.company.models import Company
from ebok.company.selectors import company as get_company
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.readings.messages import reason_message
from ebok.readings.models import Reading, Source, Status

AVERAGE_MONTH_DAYS = Decimal("30.4375")
MIN_HISTORY_DAYS = 60


class ReadingInputError(ValueError):
    """The value is not a meter reading at all; nothing was stored."""

    def __init__(self, code: str, params: dict | None = None):
        self.code = code
        self.params = params or {}
        super().__init__(reason_message(code, self.params))


class IdempotencyConflict(ValueError):
    """The idempotency key was used before for a different reading."""


@dataclass(frozen=True, slots=True)
class Previous:
    date: dt.date
    value: Decimal


def parse_reading_value(raw: str | Decimal | int, *, digits: int) -> Decimal:
    """Turn what a person typed ("1 234,5") into a Decimal with at most 3 places, or raise ReadingInputError."""
    try:
        value = parse_decimal(raw) if isinstance(raw, str) else Decimal(raw)
    except ValueError:
        raise ReadingInputError("not_a_number") from None
    if not value.is_finite():
        raise ReadingInputError("not_a_number")
    if value < 0:
        raise ReadingInputError("negative")
    if value != value.quantize(Decimal("0.001")):
        raise ReadingInputError("too_many_decimals")
    if value >= Decimal(10) ** digits:
        raise ReadingInputError("out_of_range", {"digits": digits})
    return value.quantize(Decimal("0.001"))


def previous_reading(meter: Meter) -> Previous:
    """The last accepted reading of the meter, else its installation reading."""
    last = (
        Reading.objects.filter(meter=meter, status=Status.ACCEPTED)
        .order_by("-date", "-id")
        .values("date", "value")
    ).first()
    if last is not None:
        return Previous(last["date"], last["value"])
    return Previous(meter.installed_on, meter.installation_reading)


def previous_from_last(meter: Meter) -> Previous:
    """previous_reading() of a meter from readings.selectors.meters_with_last_reading (annotated with its last
    accepted reading), without another query."""
    if meter.last_date is not None:
        return Previous(meter.last_date, meter.last_value)
    return Previous(meter.installed_on, meter.installation_reading)


def expected_daily_use(meter: Meter, *, until: dt.date, company: Company) -> Decimal:
    """The point's usual daily use: the meter's last 12 months, or the consumption norm without history."""
    since = until - dt.timedelta(days=365)
    history = list(
        Reading.objects.filter(meter=meter, status=Status.ACCEPTED, date__gte=since, date__lte=until)
        .order_by("date", "id")
        .values_list("date", "value")
    )
    if meter.installed_on >= since:
        history.insert(0, (meter.installed_on, meter.installation_reading))
    if len(history) >= 2:
        (first_date, first_value), (last_date, last_value) = history[0], history[-1]
        days = (last_date - first_date).days
        if days >= MIN_HISTORY_DAYS and last_value >= first_value:
            return (last_value - first_value) / days
    point = meter.service_point
    norm = (
        point.flat_rate_norm_m3 if point.flat_rate_norm_m3 is not None else company.default_flat_rate_norm_m3
    )
    return norm * max(point.residents, 1) / AVERAGE_MONTH_DAYS


def _assess(meter: Meter, value: Decimal, day: dt.date, company: Company) -> tuple[str, str, dict]:
    """(status, reason_code, params) for a well-formed value on a day, per billing-rules §3 and §9."""
    serial = meter.serial_number
    if day > clock.today():
        return Status.REFUSED, "future_date", {}
    if meter.removed_on is not None and day > meter.removed_on:
        return Status.REFUSED, "meter_removed", {"serial": serial, "date": meter.removed_on.isoformat()}
    if day < meter.installed_on:
        return (
            Status.REFUSED,
            "before_installation",
            {"serial": serial, "date": meter.installed_on.isoformat()},
        )
    previous = previous_reading(meter)
    if day < previous.date:
        return Status.REFUSED, "before_previous", {"serial": serial, "date": previous.date.isoformat()}
    if day == previous.date:
        return (
            Status.REFUSED,
            "date_already_read",
            {"serial": serial, "date": previous.date.isoformat(), "value": str(previous.value)},
        )
    # A reading of the same day waiting for review holds the day too (one in force per meter and day): a
    # second value is refused with a reason instead of breaking the database constraint.
    held = Reading.objects.filter(meter=meter, date=day, status=Status.HELD).order_by("-id").first()
    if held is not None:
        return (
            Status.REFUSED,
            "date_already_read",
            {"serial": serial, "date": day.isoformat(), "value": str(held.value)},
        )
    try:
        consumption = meter_consumption(
            previous.value,
            value,
            digits=meter.digits,
            rollover_high=company.rollover_high,
            rollover_low=company.rollover_low,
        )
    except ReadingError as error:
        return (
            Status.REFUSED,
            error.code,
            {
                "value": str(value),
                "previous": str(previous.value),
                "date": previous.date.isoformat(),
                "digits": meter.digits,
            },
        )
    if meter.role == MeterRole.MAIN:
        days = (day - previous.date).days
        expected = (expected_daily_use(meter, until=previous.date, company=company) * days).quantize(
            Decimal("0.001")
        )
        if (
            consumption > expected * company.plausibility_factor
            and consumption - expected > company.plausibility_min_excess_m3
        ):
            return (
                Status.HELD,
                "implausible",
                {"consumption": str(consumption), "days": days, "expected": str(expected)},
            )
        if consumption == 0 and _previous_period_was_zero(meter, previous):
            return Status.ACCEPTED, "zero_repeated", {}
    return Status.ACCEPTED, "", {}


def _previous_period_was_zero(meter: Meter, previous: Previous) -> bool:
    before = (
        Reading.objects.filter(meter=meter, status=Status.ACCEPTED, date__lt=previous.date)
        .order_by("-date", "-id")
        .values_list("value", flat=True)
        .first()
    )
    if before is None and previous.date != meter.installed_on:
        before = meter.installation_reading
    return before is not None and before == previous.value


@transaction.atomic
def reading_submit(
    *,
    actor: Actor,
    meter: Meter,
    value: str | Decimal | int,
    date: dt.date,
    source: str,
    idempotency_key: str | None = None,
    photo=None,
    company: Company | None = None,
) -> Reading:
    """Validate and store one reading. Same key (or same meter, date and value) again → the same reading.

    `company`: the utility, when the caller has already read it in this transaction."""
    idempotency_key = idempotency_key or None
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    # The meter row lock serialises submissions for one meter, so the duplicate checks below are race-free.
    # Lock order everywhere: service point, then meter, then counter (see ebok/billing/services.py).
    ServicePoint.objects.select_for_update().filter(pk=meter.service_point_id).first()
    meter = Meter.objects.select_for_update(of=("self",)).select_related("service_point").get(pk=meter.pk)
    company = company or get_company()
    parsed = parse_reading_value(value, digits=meter.digits)
    if idempotency_key:
        existing = Reading.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if (existing.meter_id, existing.date, existing.value) != (meter.pk, date, parsed):
                raise IdempotencyConflict(idempotency_key)
            return existing
    duplicate = (
        Reading.objects.filter(meter=meter, date=date, value=parsed)
        .exclude(status=Status.WITHDRAWN)
        .order_by("-id")
        .first()
    )
    if duplicate is not None:
        return duplicate
    status, code, params = _assess(meter, parsed, date, company)
    reading = Reading(
        meter=meter,
        date=date,
        value=parsed,
        source=source,
        status=status,
        reason_code=code,
        reason_params=params,
        entered_by=actor.user,
        created_at=clock.now(),
        idempotency_key=idempotency_key,
    )
    if photo is not None:
        reading.photo = photo
    try:
        with transaction.atomic():
            reading.save()
    except IntegrityError:
        # Another transaction stored the same idempotency key first (possible only without the meter lock,
        # i.e. never on PostgreSQL); its reading is the answer.
        existing = (
            Reading.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        )
        if existing is None:
            raise
        return existing
    audit_log(
        actor=actor,
        action=f"reading.{status}",
        obj=reading,
        customer_id=meter.service_point.customer_id,
        data={
            "meter": meter.serial_number,
            "date": date.isoformat(),
            "value": str(parsed),
            "source": source,
            "reason": code,
        },
    )
    if status == Status.HELD:
        _notify_after_commit(reading, "held")
    return reading


def _notify_after_commit(reading: Reading, outcome: str) -> None:
    from ebok.notifications.services import notify_reading_review

    transaction.on_commit(lambda: notify_reading_review(reading, outcome=outcome))


@transaction.atomic
def readings_submit_for_point(
    *,
    actor: Actor,
    service_point: ServicePoint,
    date: dt.date,
    values: dict[int, str | Decimal],
    source: str,
    idempotency_key: str | None = None,
) -> list[Reading]:
    """All meters of a point read on one day (the portal and the meter reader's form).

    Raises ReadingInputError (nothing stored) if any value is not a reading. If the garden meter shows
    more than the main meter over the period, the accepted readings are held for review instead.
    """
    meters = {m.pk: m for m in service_point.meters.all()}
    unknown = set(values) - set(meters)
    if unknown:
        raise ReadingInputError("meter_not_at_point")
    for meter_id, raw in values.items():  # check all input before storing any of it
        parse_reading_value(raw, digits=meters[meter_id].digits)
    company = get_company()
    readings = [
        reading_submit(
            actor=actor,
            meter=meters[meter_id],
            value=raw,
            date=date,
            source=source,
            idempotency_key=f"{idempotency_key}:{meter_id}" if idempotency_key else None,
            company=company,
        )
        for meter_id, raw in sorted(values.items())
    ]
    _hold_if_garden_exceeds_main(actor, readings, meters)
    return readings


def _hold_if_garden_exceeds_main(actor: Actor, readings: list[Reading], meters: dict[int, Meter]) -> None:
    if all(meters[r.meter_id].role == MeterRole.MAIN for r in readings):
        return  # no garden meter read: nothing to compare
    fresh = [r for r in readings if r.status == Status.ACCEPTED and r.reason_code == ""]
    main = additional = Decimal(0)
    for reading in readings:
        meter = meters[reading.meter_id]
        previous = (
            Reading.objects.filter(meter=meter, status=Status.ACCEPTED, date__lt=reading.date)
            .order_by("-date", "-id")
            .values_list("value", flat=True)
            .first()
        )
        start = previous if previous is not None else meter.installation_reading
        if reading.value < start:
            return  # a rollover; leave it to the invoice to compute
        if meter.role == MeterRole.MAIN:
            main += reading.value - start
        else:
            additional += reading.value - start
    if additional > main and fresh:
        for reading in fresh:
            reading.status = Status.HELD
            reading.reason_code = "additional_exceeds_main"
            reading.save(update_fields=["status", "reason_code"])
            audit_log(
                actor=actor,
                action="reading.held",
                obj=reading,
                customer_id=meters[reading.meter_id].service_point.customer_id,
                data={"reason": "additional_exceeds_main"},
            )
            _notify_after_commit(reading, "held")


def _store_photo(actor: Actor, reading: Reading, photo) -> Reading:
    reading.photo = clean_photo(photo)
    reading.save(update_fields=["photo"])
    audit_log(
        actor=actor,
        action="reading.photo_attached",
        obj=reading,
        customer_id=reading.meter.service_point.customer_id,
        data={"file": reading.photo.name},
    )
    return reading


def _locked(reading: Reading) -> Reading:
    return Reading.objects.select_for_update().select_related("meter__service_point").get(pk=reading.pk)


@transaction.atomic
def reading_attach_photo(*, actor: Actor, reading: Reading, photo) -> Reading:
    """Attach a photo of the meter to a reading waiting for review (the photo is re-encoded first)."""
    reading = _locked(reading)
    if reading.status != Status.HELD:
        raise ValueError("only a reading waiting for review takes a photo")
    return _store_photo(actor, reading, photo)


@transaction.atomic
def reading_photo_add(*, actor: Actor, reading: Reading, photo) -> Reading:
    """Keep the photo the meter reader took with the reading (re-encoded); a retried send keeps the first."""
    reading = _locked(reading)
    if reading.photo:
        return reading
    return _store_photo(actor, reading, photo)


# --- staff: notes and the review of held readings ------------------------------------------------------------


class ReviewError(ValueError):
    """A held reading can't be decided this way; the message says why in the active language."""

    def __init__(self, code: str, params: dict | None = None):
        self.code = code
        self.params = params or {}
        super().__init__(code)

    @property
    def message(self) -> str:
        return _(REVIEW_MESSAGES[self.code]) % self.params

    def __str__(self) -> str:
        return self.message


REVIEW_MESSAGES = {
    "already_decided": gettext_noop("This reading was already decided: it is now “%(status)s”."),
    "reason_required": gettext_noop("Give the reason for rejecting the reading; the customer will read it."),
    "additional_exceeds_main": gettext_noop(
        "The additional (garden) meter would still show more water than the main meter, so sewage would be "
        "negative. Reject the wrong reading instead; the right one can then be recorded for the same day."
    ),
    "already_invoiced": gettext_noop(
        "The address is already invoiced up to %(date)s, after this reading's date. Reject the reading, "
        "or correct the invoice."
    ),
}

REJECTED_ON_REVIEW = "rejected_on_review"


@transaction.atomic
def readings_note(*, actor: Actor, readings: list[Reading], note: str) -> list[Reading]:
    """Put staff's note (e.g. "read out by the customer on the phone") on readings; the customer sees it."""
    note = note.strip()
    changed = []
    for reading in readings:
        reading = Reading.objects.select_related("meter__service_point").get(pk=reading.pk)
        if reading.note == note:
            continue  # a repeated form: nothing new to record
        reading.note = note
        reading.save(update_fields=["note"])
        audit_log(
            actor=actor,
            action="reading.note_set",
            obj=reading,
            customer_id=reading.meter.service_point.customer_id,
            data={"note": note},
        )
        changed.append(reading)
    return changed


@transaction.atomic
def reading_review(*, actor: Actor, reading: Reading, accept: bool, reason: str = "") -> Reading:
    """Staff's decision on a reading held for review; returns the reading as decided.

    Accepting accepts every reading of the address held for the same day as well: the invoice needs all
    meters of the address read on that day, and readings held together (the garden meter showing more
    than the main meter) stand or fall together. Rejecting refuses this one reading with a reason the
    customer sees; the other held readings of that day wait for their own decision. The invoice is not
    issued here (the caller issues it after an acceptance).

    Raises ReviewError: the reading is not held any more; a rejection without a reason; accepting a day
    the address is already invoiced beyond; accepting garden readings that still exceed the main meter
    where sewage is billed (sewage can't be negative, billing-rules §3: the wrong reading is rejected
    instead, and the right one recorded for the same day).
    """
    reason = reason.strip()
    # Lock order everywhere: service point, then meter (see ebok/billing/services.py).
    point_id = Meter.objects.filter(pk=reading.meter_id).values_list("service_point_id", flat=True).get()
    ServicePoint.objects.select_for_update().filter(pk=point_id).first()
    list(Meter.objects.select_for_update().filter(service_point_id=point_id).order_by("pk"))
    reading = (
        Reading.objects.select_for_update(of=("self",))
        .select_related("meter__service_point")
        .get(pk=reading.pk)
    )
    if reading.status != Status.HELD:
        raise ReviewError("already_decided", {"status": reading.get_status_display()})
    customer_id = reading.meter.service_point.customer_id
    if not accept:
        if not reason:
            raise ReviewError("reason_required")
        held_for = reading.reason_code
        reading.status = Status.REFUSED
        reading.reason_params = {**reading.reason_params, "held_for": held_for, "reason": reason}
        reading.reason_code = REJECTED_ON_REVIEW
        reading.note = reason
        reading.save(update_fields=["status", "reason_code", "reason_params", "note"])
        audit_log(
            actor=actor,
            action="reading.rejected_on_review",
            obj=reading,
            customer_id=customer_id,
            data={"held_for": held_for, "reason": reason, "value": str(reading.value)},
        )
        _notify_after_commit(reading, "rejected")
        return reading
    billed_until = (
        Invoice.objects.filter(service_point_id=point_id, kind=InvoiceKind.INVOICE)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    if billed_until is not None and billed_until >= reading.date:
        raise ReviewError("already_invoiced", {"date": billed_until.isoformat()})
    together = list(
        Reading.objects.filter(meter__service_point_id=point_id, date=reading.date, status=Status.HELD)
        .select_related("meter")
        .order_by("meter_id", "id")
    )
    point = reading.meter.service_point
    if point.has_sewage:
        on_that_day = together + list(
            Reading.objects.filter(
                meter__service_point_id=point_id, date=reading.date, status=Status.ACCEPTED
            ).select_related("meter")
        )
        if _additional_exceeds_main(on_that_day):
            raise ReviewError("additional_exceeds_main")
    for held in together:
        held_for = held.reason_code
        held.status = Status.ACCEPTED
        held.reason_params = {**held.reason_params, "held_for": held_for}
        held.reason_code = ""  # the reason it was held no longer describes it
        held.save(update_fields=["status", "reason_code", "reason_params"])
        audit_log(
            actor=actor,
            action="reading.accepted_on_review",
            obj=held,
            customer_id=customer_id,
            data={"held_for": held_for, "value": str(held.value), "date": held.date.isoformat()},
        )
        if held.pk == reading.pk:
            reading = held
    _notify_after_commit(reading, "accepted")
    return reading


def _additional_exceeds_main(readings: list[Reading]) -> bool:
    """Whether the additional meters' readings show more water than the main meters' over the same period
    (sewage would be negative, billing-rules §3); a rollover is left to the invoice, as when submitting."""
    main = additional = Decimal(0)
    for reading in readings:
        previous = (
            Reading.objects.filter(meter=reading.meter, status=Status.ACCEPTED, date__lt=reading.date)
            .order_by("-date", "-id")
            .values_list("value", flat=True)
            .first()
        )
        start = previous if previous is not None else reading.meter.installation_reading
        if reading.value < start:
            return False
        if reading.meter.role == MeterRole.MAIN:
            main += reading.value - start
        else:
            additional += reading.value - start
    return additional > main
