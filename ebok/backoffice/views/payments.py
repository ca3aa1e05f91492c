"""Back-office: payments received, a payment recorded by hand, bank statements, and assigning the payments
that no customer could be found for."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.payments import (
    BANK_FORMAT_NAMES,
    AssignForm,
    PaymentFilterForm,
    PaymentForm,
    StatementForm,
)
from ebok.payments.models import Payment
from ebok.payments.selectors import (
    assignment_candidates,
    payments_search,
    payments_with_ids,
    unmatched_payments,
)
from ebok.payments.services import payment_assign, payment_record
from ebok.payments.statements import BANK_FORMATS, statement_import

PAGE_SIZE = 50
UNMATCHED_PAGE_SIZE = 20
REPORT_SESSION_KEY = "backoffice_statement_report"
FORMAT_SESSION_KEY = "backoffice_statement_format"  # the bank's format is chosen again for the next file


def zl(amount) -> str:
    return _("%(amount)s zł") % {"amount": number_format(amount, 2, force_grouping=True)}


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_required("payments.view_payment")
def payments(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET or None)
    page = Paginator(payments_search(**form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/payments/list.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
        status=400 if form.errors else 200,
    )


@staff_required("payments.add_payment")
def payment_new(request: HttpRequest) -> HttpResponse:
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                actor=staff_actor(request),
                customer=form.customer,
                amount=data["amount"],
                received_on=data["received_on"],
                method=data["method"],
                title=data["title"],
                invoice=form.invoice,
                idempotency_key=f"backoffice:{data['key']}",
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error({"amount": "amount", "invoice": "invoice_number"}.get(field), errors)
        else:
            messages.success(
                request,
                _("Recorded %(amount)s from customer %(code)s %(name)s.")
                % {
                    "amount": zl(payment.amount),
                    "code": payment.customer.code,
                    "name": payment.customer.name,
                },
            )
            return redirect("backoffice:payments")
    return render(request, "backoffice/payments/new.html", {"form": form}, status=400 if form.errors else 200)


def _report_for_session(report, *, file_name: str, fmt: str) -> dict:
    return {
        "file_name": file_name,
        "format": str(BANK_FORMAT_NAMES.get(fmt, fmt)),
        "transactions": report.transactions,
        "imported": report.imported,
        "already_imported": report.already_imported,
        "matched": report.matched,
        "matched_by_account": report.matched_by_account,
        "matched_by_invoice": report.matched_by_invoice,
        "matched_by_code": report.matched_by_code,
        "unmatched": report.unmatched,
        "debits_skipped": report.debits_skipped,
        "total": str(report.total),
        "payment_ids": report.payment_ids,
    }


@staff_required("payments.add_payment")
def statement_import_view(request: HttpRequest) -> HttpResponse:
    """Upload → import → redirect here, where the report of the import (kept in the session) is shown once."""
    form = StatementForm(
        request.POST or None,
        request.FILES or None,
        initial={"format": request.session.get(FORMAT_SESSION_KEY)},
    )
    if request.method == "POST" and form.is_valid():
        upload, fmt = form.cleaned_data["file"], form.cleaned_data["format"]
        report = statement_import(actor=staff_actor(request), raw=upload.read(), fmt=BANK_FORMATS[fmt])
        if report.ok:
            request.session[FORMAT_SESSION_KEY] = fmt
            request.session[REPORT_SESSION_KEY] = _report_for_session(report, file_name=upload.name, fmt=fmt)
            if report.imported:
                messages.success(
                    request,
                    ngettext(
                        "Imported %(count)d payment (%(total)s).",
                        "Imported %(count)d payments (%(total)s).",
                        report.imported,
                    )
                    % {"count": report.imported, "total": zl(report.total)},
                )
            else:
                messages.info(request, _("Nothing new: this statement was imported before."))
            return redirect("backoffice:statement_import")
        for line, message in report.errors:
            form.add_error(
                "file",
                _("Line %(line)d: %(message)s. Nothing was imported.") % {"line": line, "message": message},
            )
    report = request.session.pop(REPORT_SESSION_KEY, None) if request.method == "GET" else None
    imported = []
    if report:
        imported = list(payments_with_ids(report["payment_ids"]))
    return render(
        request,
        "backoffice/payments/import.html",
        {"form": form, "report": report, "imported": imported},
        status=400 if form.errors else 200,
    )


@staff_required("payments.view_payment")
def unmatched(request: HttpRequest) -> HttpResponse:
    page = Paginator(unmatched_payments(), UNMATCHED_PAGE_SIZE).get_page(request.GET.get("page"))
    can_assign = request.user.has_perm("payments.change_payment")
    candidates = assignment_candidates(page) if can_assign else {}
    for payment in page:
        payment.candidates = candidates.get(payment.pk, [])
    return render(
        request,
        "backoffice/payments/unmatched.html",
        {"page": page, "can_assign": can_assign, "query": _query_without_page(request)},
    )


@staff_required("payments.change_payment")
def payment_assign_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """GET: the payment with suggested customers and a field for the code; POST: assign it."""
    payment = get_object_or_404(Payment, pk=payment_id)
    if payment.customer_id is not None:
        messages.info(
            request,
            _("This payment is already assigned to customer %(code)s.") % {"code": payment.customer.code},
        )
        return redirect("backoffice:unmatched")
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment_assign(actor=staff_actor(request), payment=payment, customer=form.customer)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(amount)s of %(date)s assigned to customer %(code)s %(name)s.")
                % {
                    "amount": zl(payment.amount),
                    "date": payment.received_on.strftime("%d.%m.%Y"),
                    "code": form.customer.code,
                    "name": form.customer.name,
                },
            )
        return redirect("backoffice:unmatched")
    payment.candidates = assignment_candidates([payment])[payment.pk]
    return render(
        request,
        "backoffice/payments/assign.html",
        {"payment": payment, "form": form},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("payments/", payments, name="payments"),
    path("payments/new/", payment_new, name="payment_new"),
    path("payments/import/", statement_import_view, name="statement_import"),
    path("payments/unmatched/", unmatched, name="unmatched"),
    path("payments/<int:payment_id>/assign/", payment_assign_view, name="payment_assign"),
]
