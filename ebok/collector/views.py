"""The meter reader's app (/reader/): an installable web app that keeps the day's route on the phone and
queues readings made without a connection. Billing rules live only on the server: a reading taken offline
is validated and invoiced when it is sent (`sync`), each with an idempotency key so a retried send never
duplicates anything."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ebok.accounts.auth_events import access_denied
from ebok.accounts.twofactor import is_verified
from ebok.billing.documents.qr import payment_qr_svg
from ebok.billing.documents.receipt import render_receipt_pdf
from ebok.billing.models import Invoice
from ebok.billing.submission import submission_confirm
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.common.images import ImageRejected
from ebok.company.selectors import company as get_company
from ebok.metering.routes import points_for_reader, route_sheet, routes_for_reader, window_of
from ebok.readings.messages import reason_message
from ebok.readings.models import NoAccessReason, Source
from ebok.readings.services import IdempotencyConflict, ReadingInputError, reading_photo_add
from ebok.readings.visits import no_access_record

MAX_ITEMS = 200


def reader_required(view):
    """A reader's login with the second factor (readers are staff: their phones carry customers' addresses
    and issue invoices), and the right to add readings; refusals are recorded in the audit trail."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        is_data = request.path.endswith((".json", "/sync/"))
        if not request.user.is_authenticated:
            if is_data:
                return JsonResponse({"error": "login"}, status=401)
            return redirect_to_login(request.get_full_path(), reverse("collector:login"))
        if not request.user.has_perm("readings.add_reading"):
            raise access_denied(request, permission="readings.add_reading")
        if not is_verified(request.user):
            if is_data:
                return JsonResponse({"error": "login"}, status=401)
            return redirect_to_login(request.get_full_path(), reverse("collector:login_code"))
        return view(request, *args, **kwargs)

    return wrapper


def _plain(value) -> str:
    """123.400 → "123.4", 100.000 → "100" (never "1E+2")."""
    return format(value.normalize(), "f")


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, channel="collector", ip=request.META.get("REMOTE_ADDR") or None)


@reader_required
def app(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    window = window_of(today, get_company())
    routes = list(routes_for_reader(request.user, window))
    return render(
        request,
        "collector/app.html",
        {"routes": routes, "window": window, "today": today, "reasons": NoAccessReason.choices},
    )


@require_GET
@reader_required
def route_json(request: HttpRequest) -> JsonResponse:
    """The day's route sheet for the phone to keep (everything the reader needs at the doors, nothing more)."""
    company = get_company()
    today = clock.today()
    window = window_of(today, company)
    routes = []
    for route in routes_for_reader(request.user, window):
        points = route_sheet(route, window, company=company, today=today)
        routes.append(
            {
                "code": route.code,
                "name": route.name,
                "points": [
                    {
                        "id": p.id,
                        "order": p.order,
                        "address": p.address,
                        "name": p.name,
                        "notes": p.notes,
                        "status": p.status,
                        "meters": [
                            {
                                "id": m.id,
                                "serial": m.serial,
                                "garden": m.role == "additional",
                                "digits": m.digits,
                                "previous_date": m.previous_date.isoformat(),
                                "previous_value": _plain(m.previous_value),
                                "expected_low": _plain(m.expected_low),
                                "expected_high": _plain(m.expected_high),
                            }
                            for m in p.meters
                        ],
                    }
                    for p in points
                ],
            }
        )
    window_data = None
    if window is not None:
        window_data = {
            "year": window.year,
            "ordinal": window.ordinal,
            "start": str(window.start),
            "end": str(window.end),
        }
    return JsonResponse({"date": today.isoformat(), "window": window_data, "routes": routes})


def _photo(data_url: str | None):
    if not data_url:
        return None
    try:
        _header, encoded = data_url.split(",", 1)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise ImageRejected("not_an_image") from None
    return SimpleUploadedFile("photo", raw)


def _sync_reading(request: HttpRequest, item: dict, allowed) -> dict:
    point = allowed.filter(pk=item.get("point")).select_related("customer").first()
    if point is None:
        return {"ok": False, "error": _("This address is not on your route.")}
    values = {int(k): str(v) for k, v in (item.get("values") or {}).items()}
    outcome = submission_confirm(
        actor=_actor(request),
        service_point=point,
        date=dt.date.fromisoformat(item["date"]),
        values=values,
        source=Source.READER,
        idempotency_key=item["key"],
        issue_invoice=bool(item.get("invoice", True)),
    )
    photo = _photo(item.get("photo"))
    if photo is not None and outcome.readings:
        reading_photo_add(actor=_actor(request), reading=outcome.readings[0], photo=photo)
    result = {
        "ok": True,
        "readings": [
            {
                "meter": r.meter_id,
                "value": _plain(r.value),
                "status": r.status,
                "message": reason_message(r.reason_code, r.reason_params) if r.reason_code else "",
            }
            for r in outcome.readings
        ],
        "billing_error": outcome.billing_error,
        "invoice": None,
    }
    if outcome.invoice is not None:
        invoice = outcome.invoice
        result["invoice"] = {
            "id": invoice.pk,
            "number": invoice.number,
            "gross": str(invoice.total_gross),
            "receipt": reverse("collector:receipt", args=[invoice.pk]),
            "qr": reverse("collector:qr", args=[invoice.pk]),
        }
    return result


def _sync_no_access(request: HttpRequest, item: dict, allowed) -> dict:
    point = allowed.filter(pk=item.get("point")).first()
    if point is None:
        return {"ok": False, "error": _("This address is not on your route.")}
    no_access_record(
        actor=_actor(request),
        service_point=point,
        date=dt.date.fromisoformat(item["date"]),
        reason=item.get("reason") or NoAccessReason.OTHER,
        note=item.get("note") or "",
        idempotency_key=item["key"],
    )
    return {"ok": True}


@require_POST
@reader_required
def sync(request: HttpRequest) -> JsonResponse:
    """Process queued items in order; each result carries its key. Sending the same items again is harmless."""
    try:
        items = json.loads(request.body or b"{}").get("items", [])
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("The request is not valid JSON.")}, status=400)
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        return JsonResponse({"error": _("Send at most %(n)d items at once.") % {"n": MAX_ITEMS}}, status=400)
    company = get_company()
    results = []
    for item in items:
        if not isinstance(item, dict) or not str(item.get("key", "")).strip() or len(str(item["key"])) > 60:
            results.append({"key": None, "ok": False, "error": _("An item without a valid key.")})
            continue
        key = str(item["key"])
        try:
            day = dt.date.fromisoformat(str(item.get("date")))
            allowed = points_for_reader(request.user, window_of(day, company))
            handler = _sync_no_access if item.get("kind") == "no_access" else _sync_reading
            result = handler(request, {**item, "key": key}, allowed)
        except ReadingInputError as error:
            result = {"ok": False, "error": str(error)}
        except IdempotencyConflict:
            result = {"ok": False, "error": _("This key was already used for another reading.")}
        except ImageRejected:
            result = {
                "ok": False,
                "error": _("The photo could not be read; the reading was kept without it."),
            }
        except (ValueError, TypeError, KeyError, ValidationError):
            result = {"ok": False, "error": _("This item is not complete or not valid.")}
        results.append({"key": key, **result})
    return JsonResponse({"results": results})


def _reader_invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = get_object_or_404(Invoice.objects.select_related("service_point"), pk=invoice_id)
    window = window_of(invoice.period_end, get_company())
    if not points_for_reader(request.user, window).filter(pk=invoice.service_point_id).exists():
        raise Http404
    return invoice


@reader_required
def receipt(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _reader_invoice(request, invoice_id)
    response = HttpResponse(render_receipt_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number.replace("/", "-")}.pdf"'
    return response


@reader_required
def qr(request: HttpRequest, invoice_id: int) -> HttpResponse:
    svg = payment_qr_svg(_reader_invoice(request, invoice_id))
    if svg is None:
        raise Http404  # nothing to pay by transfer
    return HttpResponse(svg, content_type="image/svg+xml")


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /reader/ so that its scope covers the whole app."""
    shell = [
        reverse("collector:app"),
        static("ebok/site.css"),
        static("collector/app.js"),
        reverse("collector:manifest"),
    ]
    body = render(request, "collector/sw.js", {"shell": json.dumps(shell)}).content
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "EBOK – " + _("meter reader"),
            "short_name": _("Readings"),
            "start_url": reverse("collector:app"),
            "scope": reverse("collector:app"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5cab",
            "icons": [{"src": static("collector/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
    )
