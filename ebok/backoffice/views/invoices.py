"""Back-office: an invoice with its corrections and payments; issuing a correction; invoicing a point on
request (e.g. after a reading taken by phone without "issue now")."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ebok.backoffice.access import staff_actor, staff_required
from ebok.billing.documents.pdf import render_invoice_pdf
from ebok.billing.documents.receipt import render_receipt_pdf
from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice
from ebok.billing.selectors import points_to_bill
from ebok.billing.services import invoice_correct, invoice_issue, last_billed_end
from ebok.common import clock
from ebok.metering.models import ServicePoint
from ebok.portal.forms import AccessibleForm
from ebok.readings.services import ReadingInputError, parse_reading_value


class CorrectionForm(AccessibleForm, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Printed on the correction invoice, e.g. “wrong reading of meter 123”."),
    )

    def __init__(self, *args, meters, **kwargs):
        super().__init__(*args, **kwargs)
        self.meters = meters
        for m in meters:
            self.fields[f"meter_{m.meter_id}"] = forms.CharField(
                label=_("Right reading of meter %(serial)s, m³") % {"serial": m.serial_number},
                required=False,
                help_text=_("On the invoice: %(value)s m³. Leave empty to keep it.") % {"value": m.new_value},
            )

    def readings(self) -> dict[int, Decimal]:
        corrected = {}
        for m in self.meters:
            raw = (self.cleaned_data.get(f"meter_{m.meter_id}") or "").strip()
            if raw:
                corrected[m.meter_id] = parse_reading_value(raw, digits=m.meter.digits)
        return corrected

    def clean(self):
        data = super().clean()
        try:
            self.readings()
        except ReadingInputError as error:
            raise forms.ValidationError(str(error)) from None
        return data


def _invoice_page(
    request: HttpRequest, invoice: Invoice, form: CorrectionForm | None = None, status: int = 200
):
    original = invoice.corrects or invoice
    meters = list(invoice.meter_readings.exclude(side="before").select_related("meter"))
    if form is None:
        form = CorrectionForm(meters=meters)
    return render(
        request,
        "backoffice/invoices/invoice.html",
        {
            "invoice": invoice,
            "original": original,
            "lines": invoice.lines.order_by("side", "position"),
            "meter_readings": meters,
            "corrections": original.corrections.order_by("id"),
            "payments": invoice.payments.order_by("received_on"),
            "form": form,
            "can_correct": request.user.has_perm("billing.correct_invoice"),
        },
        status=status,
    )


def _invoice_query():
    return Invoice.objects.select_related("customer", "service_point", "corrects")


@staff_required("billing.view_invoice")
def invoice(request: HttpRequest, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, get_object_or_404(_invoice_query(), pk=invoice_id))


@staff_required("billing.view_invoice")
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    receipt = request.GET.get("layout") == "receipt"
    data = render_receipt_pdf(invoice) if receipt else render_invoice_pdf(invoice)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number.replace("/", "-")}.pdf"'
    return response


@require_POST
@staff_required("billing.correct_invoice")
def invoice_correction(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(_invoice_query(), pk=invoice_id)
    meters = list(invoice.meter_readings.exclude(side="before").select_related("meter"))
    form = CorrectionForm(request.POST, meters=meters)
    if not form.is_valid():
        return _invoice_page(request, invoice, form, status=400)
    try:
        correction = invoice_correct(
            actor=staff_actor(request),
            invoice=invoice,
            reason=form.cleaned_data["reason"],
            readings=form.readings(),
        )
    except BillingError as error:
        form.add_error(None, error.message)
        return _invoice_page(request, invoice, form, status=400)
    messages.success(request, _("Correction %(number)s is issued.") % {"number": correction.number})
    return redirect("backoffice:invoice", invoice_id=correction.pk)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "backoffice:home"
    return redirect(target)


@require_POST
@staff_required("billing.add_invoice")
def point_invoice(request: HttpRequest, point_id: int) -> HttpResponse:
    """Invoice a point up to its latest accepted reading not invoiced yet."""
    point = get_object_or_404(ServicePoint.objects.select_related("customer"), pk=point_id)
    pending = points_to_bill(clock.today()).filter(pk=point.pk).first()
    if pending is None:
        messages.info(
            request,
            _("Nothing to invoice: no accepted reading after %(date)s.")
            % {"date": f"{last_billed_end(point):%d.%m.%Y}"},
        )
        return _back(request)
    try:
        issued = invoice_issue(actor=staff_actor(request), service_point=point, up_to=pending.bill_to)
    except BillingError as error:
        messages.error(request, error.message)
        return _back(request)
    messages.success(request, _("Invoice %(number)s is issued.") % {"number": issued.number})
    return redirect("backoffice:invoice", invoice_id=issued.pk)


urlpatterns = [
    path("invoices/<int:invoice_id>/", invoice, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/correct/", invoice_correction, name="invoice_correct"),
    path("points/<int:point_id>/invoice/", point_invoice, name="point_invoice"),
]
