"""Submitting readings: in EBOK (preview, confirm, invoice at once) and on the website without an account."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ebok.accounts.throttle import Throttled, throttle_check, throttle_hit
from ebok.billing.models import Invoice, InvoiceKind
from ebok.billing.services import describe_line
from ebok.billing.submission import submission_confirm, submission_preview
from ebok.common import clock
from ebok.common.images import ImageRejected
from ebok.metering.models import Meter
from ebok.portal.access import client_ip, customer_required, portal_actor
from ebok.portal.forms import PhotoForm, WebsiteReadingForm, throttled_message
from ebok.readings.messages import public_reason_message, reason_message
from ebok.readings.models import Reading, Source, Status
from ebok.readings.selectors import points_for_customer
from ebok.readings.services import (
    IdempotencyConflict,
    ReadingInputError,
    parse_reading_value,
    previous_from_last,
    reading_attach_photo,
)

PHOTO_ERRORS = {
    "too_large": gettext_lazy("The photo is larger than 10 MB. Please send a smaller one."),
    "not_an_image": gettext_lazy("This file is not a photo we can read. Please send a JPEG or PNG photo."),
}


def _typed_values(request: HttpRequest, meters: list[Meter]) -> tuple[dict[int, str], dict[int, str]]:
    """(values by meter id, errors by meter id) from the form; every meter of the point needs a value."""
    values, errors = {}, {}
    for meter in meters:
        raw = (request.POST.get(f"meter_{meter.pk}") or "").strip()
        values[meter.pk] = raw
        if not raw:
            errors[meter.pk] = _("Enter the reading of this meter.")
            continue
        try:
            parse_reading_value(raw, digits=meter.digits)
        except ReadingInputError as error:
            errors[meter.pk] = str(error)
    return values, errors


@customer_required
def submit_reading(request: HttpRequest, point_id: int) -> HttpResponse:
    """GET: the form. POST step=preview: verdicts and the invoice draft. POST step=confirm: store and invoice."""
    point = get_object_or_404(points_for_customer(request.customer), pk=point_id)
    meters = point.active_meters
    today = clock.today()
    context = {
        "point": point,
        "meters": meters,
        "today": today,
        "nav": "dashboard",
        "values": {},
        "errors": {},
    }
    if not meters:
        return render(request, "portal/readings/no_meters.html", context)
    for meter in meters:
        meter.previous = previous_from_last(meter)
    if request.method != "POST":
        return render(request, "portal/readings/form.html", context)

    values, errors = _typed_values(request, meters)
    for meter in meters:
        meter.typed, meter.error = values.get(meter.pk, ""), errors.get(meter.pk, "")
    context.update(errors=errors)
    if errors:
        return render(request, "portal/readings/form.html", context, status=400)
    actor = portal_actor(request)
    if request.POST.get("step") == "confirm":
        key = request.POST.get("key", "")
        try:
            uuid.UUID(key)
        except ValueError:
            key = uuid.uuid4().hex
        try:
            outcome = submission_confirm(
                actor=actor,
                service_point=point,
                date=today,
                values=values,
                source=Source.PORTAL,
                idempotency_key=key,
            )
        except IdempotencyConflict:
            messages.warning(request, _("This form was already sent. Here is what we received."))
            return redirect("portal:submission_result", key=key)
        return redirect("portal:submission_result", key=key)

    outcome = submission_preview(
        actor=actor, service_point=point, date=today, values=values, source=Source.PORTAL
    )
    verdicts = {r.meter_id: r for r in outcome.readings}
    for meter in meters:
        reading = verdicts.get(meter.pk)
        meter.verdict = reading
        meter.message = (
            reason_message(reading.reason_code, reading.reason_params)
            if reading and reading.reason_code
            else ""
        )
        meter.consumption = outcome.consumption.get(meter.pk)
        if reading is not None and reading.status == Status.REFUSED:
            errors[meter.pk] = meter.error = meter.message
    if outcome.refused:
        return render(request, "portal/readings/form.html", context, status=400)
    lines = []
    if outcome.draft is not None:
        for line in outcome.draft.lines:
            description, unit = describe_line(line.kind, line.period_start, line.period_end)
            lines.append({"description": description, "unit": unit, "line": line})
    context.update(outcome=outcome, lines=lines, key=uuid.uuid4().hex)
    return render(request, "portal/readings/preview.html", context)


@customer_required
def submission_result(request: HttpRequest, key: str) -> HttpResponse:
    readings = list(
        Reading.objects.filter(
            idempotency_key__startswith=f"{key}:", meter__service_point__customer=request.customer
        ).select_related("meter__service_point")
    )
    if not readings:
        raise Http404
    point = readings[0].meter.service_point
    invoice = Invoice.objects.filter(
        service_point=point, kind=InvoiceKind.INVOICE, period_end=readings[0].date
    ).first()
    for reading in readings:
        reading.message = (
            reason_message(reading.reason_code, reading.reason_params) if reading.reason_code else ""
        )
    return render(
        request,
        "portal/readings/result.html",
        {
            "readings": readings,
            "point": point,
            "invoice": invoice,
            "held": [r for r in readings if r.status == Status.HELD],
            "photo_form": PhotoForm(),
            "nav": "dashboard",
        },
    )


@customer_required
def attach_photo(request: HttpRequest, reading_id: int) -> HttpResponse:
    reading = get_object_or_404(
        Reading.objects.filter(meter__service_point__customer=request.customer, status=Status.HELD),
        pk=reading_id,
    )
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            reading_attach_photo(
                actor=portal_actor(request), reading=reading, photo=form.cleaned_data["photo"]
            )
        except ImageRejected as error:
            form.add_error("photo", PHOTO_ERRORS[error.code])
        else:
            messages.success(request, _("Thank you. The photo is attached to your reading."))
            return redirect("portal:point", point_id=reading.meter.service_point_id)
    return render(
        request,
        "portal/readings/photo.html",
        {"form": form, "reading": reading, "nav": "dashboard"},
        status=400 if form.errors else 200,
    )


def website_reading(request: HttpRequest) -> HttpResponse:
    """The utility's old channel: customer code + meter number + reading, no account. The sender never sees
    the invoice or any personal data; the invoice goes to the customer as their consents say."""
    form = WebsiteReadingForm(request.POST or None)
    context = {"form": form, "nav": "website_reading"}
    if request.method != "POST" or not form.is_valid():
        return render(request, "portal/readings/website.html", context, status=400 if form.errors else 200)
    ip = client_ip(request)
    code = "".join(form.cleaned_data["customer_code"].split())
    serial = form.cleaned_data["serial_number"].strip()
    try:
        throttle_check("website_reading_ip", ip)
        throttle_check("website_reading_code", code)
    except Throttled as error:
        form.add_error(None, throttled_message(error))
        return render(request, "portal/readings/website.html", context, status=429)
    throttle_hit("website_reading_ip", ip)
    meter = (
        Meter.objects.filter(
            serial_number__iexact=serial, service_point__customer__code=code, removed_on__isnull=True
        )
        .select_related("service_point")
        .first()
    )
    if meter is None:
        throttle_hit("website_reading_code", code)
        form.add_error(
            None,
            _(
                "We could not find this meter number for this customer code. Please check both on your invoice "
                "or call our office."
            ),
        )
        return render(request, "portal/readings/website.html", context, status=400)
    try:
        outcome = submission_confirm(
            actor=portal_actor(request, channel="website"),
            service_point=meter.service_point,
            date=clock.today(),
            values={meter.pk: form.cleaned_data["value"]},
            source=Source.WEBSITE,
            idempotency_key=uuid.uuid4().hex,
        )
    except ReadingInputError as error:
        form.add_error("value", str(error))
        return render(request, "portal/readings/website.html", context, status=400)
    reading = outcome.readings[0]
    if reading.status == Status.REFUSED:
        form.add_error("value", public_reason_message(reading.reason_code))
        return render(request, "portal/readings/website.html", context, status=400)
    return render(
        request,
        "portal/readings/website_done.html",
        {
            "status": reading.status,
            "message": public_reason_message(reading.reason_code) if reading.reason_code else "",
            "invoiced": outcome.invoice is not None,
            "nav": "website_reading",
        },
    )
