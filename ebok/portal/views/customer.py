"""The logged-in customer's own pages: dashboard, data and change requests, invoices, payments, consumption,
consents. Every object is looked up through `request.customer` (set by customer_required): others' → 404."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ebok.billing.documents.pdf import render_invoice_pdf
from ebok.billing.selectors import invoices_for_customer
from ebok.common import clock
from ebok.company.selectors import company as get_company
from ebok.customers.models import ChangeRequestStatus
from ebok.customers.services import change_request_create
from ebok.notifications.selectors import MEDIA, consent_history, current_consents
from ebok.notifications.services import consents_set
from ebok.payments.selectors import payments_for_customer, settlement_for_customer
from ebok.portal.access import choose_customer, client_ip, customer_required, portal_actor
from ebok.portal.charts import bar_chart
from ebok.portal.context import request_company
from ebok.portal.forms import ChangeRequestForm, ConsentsForm
from ebok.readings.selectors import (
    consumption_history,
    point_summaries,
    points_for_customer,
    readings_for_point,
)

PAGE_SIZE = 20
OBJECT_PAGE = re.compile(r"^/(invoices|points|readings)/[^/]+/")  # pages of one customer's object


@customer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    customer = request.customer
    settlement = settlement_for_customer(customer)
    today = clock.today()
    return render(
        request,
        "portal/customer/dashboard.html",
        {
            "nav": "dashboard",
            "settlement": settlement,
            "open_items": settlement.open_items,
            "overdue_total": settlement.overdue_total(today),
            "balance": settlement.open_total - settlement.credit,
            "today": today,
            "points": point_summaries(customer),
            "payments": payments_for_customer(customer).only("received_on", "amount", "title")[:5],
            "pending_changes": customer.change_requests.filter(status=ChangeRequestStatus.PENDING).exists(),
        },
    )


@require_POST
@customer_required
def switch_customer(request: HttpRequest) -> HttpResponse:
    chosen = next((c for c in request.customers if c.code == request.POST.get("customer")), None)
    if chosen is None:
        messages.error(request, _("This customer code is not linked to your account."))
    else:
        choose_customer(request, chosen)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "portal:dashboard"
    # An object of the previous customer would be "not found" for the new one: go back to lists only.
    if OBJECT_PAGE.match(target):
        target = "portal:dashboard"
    return redirect(target)


@customer_required
def change_request(request: HttpRequest) -> HttpResponse:
    customer = request.customer
    form = ChangeRequestForm(
        request.POST or None, customer=customer, user=request.user, ip=client_ip(request)
    )
    if request.method == "POST" and form.is_valid():
        change_request_create(
            actor=portal_actor(request),
            customer=customer,
            changes=form.cleaned_data["changes"],
            message=form.cleaned_data.get("message", ""),
        )
        messages.success(request, _("Thank you. Our staff will check the change and let you know."))
        return redirect("portal:dashboard")
    return render(
        request,
        "portal/customer/change_request.html",
        {"form": form, "nav": "dashboard", "requests": customer.change_requests.all()[:10]},
    )


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@customer_required
def invoices(request: HttpRequest) -> HttpResponse:
    settlement = settlement_for_customer(request.customer)
    open_by_invoice = {item.invoice_id: item.open for item in settlement.items if item.invoice_id}
    page = _page(request, invoices_for_customer(request.customer))
    for invoice in page:
        invoice.open_amount = open_by_invoice.get(invoice.corrects_id or invoice.pk)
    return render(request, "portal/customer/invoices.html", {"page": page, "nav": "invoices"})


def _invoice(request: HttpRequest, invoice_id: int):
    return get_object_or_404(invoices_for_customer(request.customer), pk=invoice_id)


@customer_required
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    return render(
        request,
        "portal/customer/invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.exclude(side="before"),
            "meter_readings": invoice.meter_readings.exclude(side="before"),
            "nav": "invoices",
        },
    )


@customer_required
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number.replace("/", "-")}.pdf"'
    return response


@customer_required
def payments(request: HttpRequest) -> HttpResponse:
    page = _page(request, payments_for_customer(request.customer).select_related("invoice"))
    return render(request, "portal/customer/payments.html", {"page": page, "nav": "payments"})


@customer_required
def point_detail(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_object_or_404(points_for_customer(request.customer), pk=point_id)
    periods = consumption_history(point, company=request_company(request) or get_company())
    chart = bar_chart(
        [(f"{p.start:%d.%m.%Y}–{p.end:%d.%m.%Y}", p.m3) for p in periods],
        title=_("Water used between readings, m³"),
    )
    readings = readings_for_point(point)[:PAGE_SIZE]
    return render(
        request,
        "portal/customer/point.html",
        {"point": point, "periods": periods, "chart": chart, "readings": readings, "nav": "dashboard"},
    )


@customer_required
def consents(request: HttpRequest) -> HttpResponse:
    customer = request.customer
    form = ConsentsForm(request.POST or None, current=current_consents(customer))
    if request.method == "POST" and form.is_valid():
        changed = consents_set(
            actor=portal_actor(request), customer=customer, wanted=form.wanted(), channel="portal"
        )
        if changed:
            messages.success(request, _("Your consents have been saved."))
        else:
            messages.info(request, _("Nothing has changed."))
        return redirect("portal:consents")
    rows = [
        {"kind": kind, "items": [(form[f"{kind}__{medium}"], medium) for medium in media]}
        for kind, media in MEDIA.items()
    ]
    return render(
        request,
        "portal/customer/consents.html",
        {"form": form, "rows": rows, "history": consent_history(customer)[:50], "nav": "consents"},
    )
