"""Back-office: readings reported by phone, e-mail or at the office, and the review of held readings."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.readings import PointSearchForm, ReviewForm, StaffReadingForm, new_key
from ebok.billing.messages import BillingError
from ebok.billing.services import invoice_issue
from ebok.billing.submission import Outcome, submission_confirm
from ebok.common import clock
from ebok.metering.models import ServicePoint
from ebok.metering.selectors import point_with_active_meters, points_by_code_or_serial
from ebok.notifications.services import notify_invoice_issued
from ebok.readings.messages import reason_message
from ebok.readings.models import Reading, Status
from ebok.readings.selectors import held_together, invoice_closing, readings_recorded_with_key, review_queue
from ebok.readings.services import (
    IdempotencyConflict,
    ReadingInputError,
    ReviewError,
    reading_review,
    readings_note,
    readings_submit_for_point,
)

REVIEW_PAGE_SIZE = 50


def _invoice_link(invoice) -> str:
    return format_html(
        '<a href="{}">{}</a>', reverse("backoffice:invoice", args=[invoice.pk]), invoice.number
    )


# --- recording a reading ----------------------------------------------------------------------------------


@staff_required("readings.add_reading")
def reading_new(request: HttpRequest) -> HttpResponse:
    """GET without `point`: find the address by customer code or meter number. With `point`: the form for
    all its meters; POST stores the readings (and issues the invoice on request), then shows the outcome."""
    point_id = request.GET.get("point", "")
    if not point_id:
        return _search(request)
    try:
        point = point_with_active_meters(int(point_id))
    except (ValueError, ServicePoint.DoesNotExist):
        raise Http404 from None
    meters = point.active_meters
    if request.method != "POST":
        form = StaffReadingForm(meters=meters)
        return _form_page(request, point, form)
    form = StaffReadingForm(request.POST, meters=meters)
    if not meters or not form.is_valid():
        return _form_page(request, point, form, status=400)
    data = form.cleaned_data
    actor = staff_actor(request)
    key = data["key"]
    try:
        with transaction.atomic():
            if data["issue_now"] and request.user.has_perm("billing.add_invoice"):
                outcome = submission_confirm(
                    actor=actor,
                    service_point=point,
                    date=data["date"],
                    values=form.values(),
                    source=data["source"],
                    idempotency_key=key,
                )
            else:
                readings = readings_submit_for_point(
                    actor=actor,
                    service_point=point,
                    date=data["date"],
                    values=form.values(),
                    source=data["source"],
                    idempotency_key=key,
                )
                outcome = Outcome(readings=readings)
            if data["note"]:
                readings_note(actor=actor, readings=outcome.readings, note=data["note"])
    except IdempotencyConflict:
        messages.warning(request, _("This form was already sent with other values. Here is what was stored."))
        return redirect("backoffice:reading_result", key=key)
    except ReadingInputError as error:  # e.g. a meter was replaced after the form was opened
        form.add_error(None, str(error))
        return _form_page(request, point, form, status=400)
    if outcome.refused:
        # The refused values stay in the form with the reasons; a new key, so that the corrected form is a
        # new submission (what was accepted is recognised again by meter, date and value).
        posted = request.POST.copy()
        posted["key"] = new_key()
        form = StaffReadingForm(posted, meters=meters)
        form.is_valid()
        for reading in outcome.refused:
            form.refuse(reading.meter_id, reason_message(reading.reason_code, reading.reason_params))
        stored = [r for r in outcome.readings if r.status != Status.REFUSED]
        return _form_page(request, point, form, status=400, stored=stored)
    if outcome.billing_error:
        messages.error(
            request,
            _("The readings are stored, but the invoice could not be issued: %(reason)s")
            % {"reason": outcome.billing_error},
        )
    return redirect("backoffice:reading_result", key=key)


def _search(request: HttpRequest) -> HttpResponse:
    form = PointSearchForm(request.GET or None)
    points = None
    if form.is_valid():
        points = list(points_by_code_or_serial(form.cleaned_data["q"]))
        if len(points) == 1:
            return redirect(f"{reverse('backoffice:reading_new')}?point={points[0].pk}")
    return render(
        request,
        "backoffice/readings/search.html",
        {"form": form, "points": points},
        status=400 if form.errors else 200,
    )


def _form_page(
    request: HttpRequest,
    point: ServicePoint,
    form: StaffReadingForm,
    status: int = 200,
    stored: list[Reading] | None = None,
) -> HttpResponse:
    return render(
        request,
        "backoffice/readings/form.html",
        {"point": point, "form": form, "stored": stored or []},
        status=status,
    )


@staff_required("readings.view_reading")
def reading_result(request: HttpRequest, key: str) -> HttpResponse:
    readings = list(readings_recorded_with_key(key))
    if not readings:
        raise Http404
    point = readings[0].meter.service_point
    date = readings[0].date
    for reading in readings:
        reading.message = (
            reason_message(reading.reason_code, reading.reason_params) if reading.reason_code else ""
        )
    all_accepted = all(r.status == Status.ACCEPTED for r in readings)
    return render(
        request,
        "backoffice/readings/result.html",
        {
            "readings": readings,
            "point": point,
            "date": date,
            "invoice": invoice_closing(point, date),
            "all_accepted": all_accepted,
            "held": any(r.status == Status.HELD for r in readings),
            "can_invoice": request.user.has_perm("billing.add_invoice"),
        },
    )


# --- the review queue -------------------------------------------------------------------------------------


@staff_required("readings.view_reading")
def review(request: HttpRequest) -> HttpResponse:
    page = Paginator(review_queue(), REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page)
    groups = held_together(items)
    now = clock.now()
    for item in items:
        meter = item.meter
        if item.previous_date is None:
            item.previous_date, item.previous_value = meter.installed_on, meter.installation_reading
            item.previous_is_installation = True
        params = item.reason_params or {}
        item.reason = reason_message(item.reason_code, params)
        item.days = params.get("days") or (item.date - item.previous_date).days
        item.consumption = params.get("consumption") or (
            item.value - item.previous_value if item.value >= item.previous_value else None
        )
        item.expected = params.get("expected")
        item.together = [r for r in groups.get((meter.service_point_id, item.date), []) if r.pk != item.pk]
        waited = now - item.created_at
        item.waiting_days, item.waiting_hours = waited.days, int(waited.total_seconds() // 3600)
    return render(
        request,
        "backoffice/readings/review.html",
        {"page": page, "items": items, "can_decide": request.user.has_perm("readings.change_reading")},
    )


@require_POST
@staff_required("readings.change_reading")
def review_decide(request: HttpRequest, reading_id: int) -> HttpResponse:
    reading = get_object_or_404(Reading.objects.select_related("meter__service_point"), pk=reading_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to accept or to reject the reading."))
        return redirect("backoffice:review")
    actor = staff_actor(request)
    try:
        reading = reading_review(
            actor=actor, reading=reading, accept=form.accept, reason=form.cleaned_data["reason"]
        )
    except ReviewError as error:
        messages.error(request, error.message)
        return redirect("backoffice:review")
    serial = reading.meter.serial_number
    if not form.accept:
        messages.success(
            request,
            _("Reading of meter %(serial)s rejected; the customer sees the reason.") % {"serial": serial},
        )
        return redirect("backoffice:review")
    point = reading.meter.service_point
    try:
        with transaction.atomic():
            is_new = invoice_closing(point, reading.date) is None
            invoice = invoice_issue(actor=actor, service_point=point, up_to=reading.date)
            if is_new:
                transaction.on_commit(lambda: notify_invoice_issued(invoice))
    except BillingError as error:
        messages.warning(
            request,
            _("Reading of meter %(serial)s accepted, but the invoice could not be issued: %(reason)s")
            % {"serial": serial, "reason": error.message},
        )
    else:
        messages.success(
            request,
            format_html(
                "{} {}",
                _("Reading of meter %(serial)s accepted; invoice issued:") % {"serial": serial},
                _invoice_link(invoice),
            ),
        )
    return redirect("backoffice:review")


@staff_required("readings.view_reading")
def reading_photo(request: HttpRequest, reading_id: int) -> HttpResponse:
    """The meter photo sent with a reading: only through this view (staff with the permission), never as a
    public file."""
    reading = get_object_or_404(Reading.objects.exclude(photo=""), pk=reading_id)
    try:
        handle = reading.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(reading.photo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = (
        f'inline; filename="reading-{reading.pk}{mimetypes.guess_extension(content_type) or ""}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("readings/new/", reading_new, name="reading_new"),
    path("readings/recorded/<str:key>/", reading_result, name="reading_result"),
    path("readings/review/", review, name="review"),
    path("readings/<int:reading_id>/review/", review_decide, name="review_decide"),
    path("readings/<int:reading_id>/photo/", reading_photo, name="reading_photo"),
]
