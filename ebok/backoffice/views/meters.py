"""Back-office: replacing a meter, and the meters whose legal verification expires (with a CSV export)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _

from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.meters import MeterReplaceForm, VerificationFilterForm
from ebok.common import clock
from ebok.metering.models import Meter
from ebok.metering.selectors import meters_verification_due
from ebok.metering.services import meter_replace


def _customer_page(code: str) -> str:
    try:
        return reverse("backoffice:customer", args=[code])
    except NoReverseMatch:  # the customer pages are another module of the back-office
        return reverse("backoffice:meter_verification")


@staff_required("metering.change_meter")
def meter_replace_view(request: HttpRequest, meter_id: int) -> HttpResponse:
    meter = get_object_or_404(Meter.objects.select_related("service_point__customer"), pk=meter_id)
    form = MeterReplaceForm(request.POST or None, meter=meter)
    status = 200
    if request.method == "POST":
        if meter.removed_on is not None:
            form.is_valid()
            form.add_error(
                None, _("This meter was already removed on %(date)s.") % {"date": meter.removed_on}
            )
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            try:
                new = meter_replace(
                    actor=staff_actor(request),
                    old_meter=meter,
                    on=data["on"],
                    removal_reading=data["removal_reading"],
                    new_serial_number=data["new_serial_number"],
                    installation_reading=data["installation_reading"],
                    digits=data["digits"],
                    verification_expires_on=data["verification_expires_on"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
                status = 400
            else:
                messages.success(
                    request,
                    _("Meter %(old)s is replaced by meter %(new)s.")
                    % {"old": meter.serial_number, "new": new.serial_number},
                )
                return redirect(_customer_page(meter.service_point.customer.code))
        else:
            status = 400
    return render(request, "backoffice/meters/replace.html", {"meter": meter, "form": form}, status=status)


def _cell(text: str) -> str:
    """A text cell that a spreadsheet won't run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = [
    ("customer_code", lambda m, today: m.service_point.customer.code),
    ("customer_name", lambda m, today: _cell(m.service_point.customer.name)),
    ("address", lambda m, today: _cell(m.service_point.address)),
    ("meter_serial", lambda m, today: _cell(m.serial_number)),
    ("meter_role", lambda m, today: m.role),
    ("verification_expires_on", lambda m, today: m.verification_expires_on.isoformat()),
    ("expired", lambda m, today: "1" if m.verification_expires_on < today else "0"),
]


@staff_required("metering.view_meter")
def meter_verification(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    form = VerificationFilterForm(request.GET or None)
    months = form.chosen_months()
    meters = meters_verification_due(today=today, months=months)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="meters-verification-{today.isoformat()}-{months}m.csv"'
        )
        response.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8 (Polish letters)
        writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
        writer.writerow([name for name, _value in CSV_COLUMNS])
        for meter in meters.iterator(chunk_size=500):
            writer.writerow([value(meter, today) for _name, value in CSV_COLUMNS])
        return response
    meters = list(meters)
    for meter in meters:
        meter.expired = meter.verification_expires_on < today
    return render(
        request,
        "backoffice/meters/verification.html",
        {
            "form": form,
            "months": months,
            "meters": meters,
            "today": today,
            "expired_count": sum(m.expired for m in meters),
            "can_replace": request.user.has_perm("metering.change_meter"),
        },
    )


urlpatterns = [
    path("meters/verification/", meter_verification, name="meter_verification"),
    path("meters/<int:meter_id>/replace/", meter_replace_view, name="meter_replace"),
]
