"""Back-office: find a customer, the customer's page with everything at one glance, and the customers'
requests to change their data (approve / reject), and consents the customer gave at the office or on paper."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from ebok.audit.selectors import audit_for_customer, with_details
from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.customers import ChangeRequestDecisionForm, CustomerSearchForm
from ebok.backoffice.forms.notifications import ConsentRecordForm
from ebok.backoffice.views.audit import audit_url, with_readable_data
from ebok.billing.selectors import invoices_for_customer
from ebok.common import clock
from ebok.common.nrb import format_nrb
from ebok.customers.models import ChangeRequest, ChangeRequestStatus, Customer
from ebok.customers.selectors import (
    change_requests_for_customer,
    change_requests_pending,
    customer_by_exact_code,
    customer_search,
    ledger_with_running_balance,
    portal_accounts_for_customer,
    readings_for_customer,
)
from ebok.customers.services import ChangeRequestDecided, change_request_decide
from ebok.notifications.models import ConsentKind, ConsentMedium
from ebok.notifications.selectors import (
    MEDIA,
    consent_history,
    current_consents,
    messages_for_customer,
)
from ebok.notifications.services import consents_set
from ebok.payments.selectors import payments_for_customer, settlement_for_customer
from ebok.readings.selectors import points_for_customer

PAGE_SIZE = 25
RECENT = 20  # rows of each history shown on the customer page; "show all" leads to the whole list
AUDIT_RECENT = 50
HISTORY_PAGE_SIZE = 50


# --- search --------------------------------------------------------------------------------------------


@require_safe
@staff_required("customers.view_customer")
def customers(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET or None)
    query, page = "", None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if query:
        exact = customer_by_exact_code(query)
        if exact is not None:
            return redirect("backoffice:customer", exact.code)
        page = Paginator(customer_search(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/customers/search.html", {"form": form, "query": query, "page": page})


# --- the customer's page -------------------------------------------------------------------------------


def _customer(code: str) -> Customer:
    customer = get_object_or_404(Customer, code=code)
    customer.bank_account_display = format_nrb(customer.bank_account)
    return customer


def _recent(queryset, limit: int = RECENT) -> tuple[list, bool]:
    """The first `limit` rows and whether there are more (one query, no count)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def _with_open_amounts(invoices, settlement) -> list:
    open_by_invoice = {item.invoice_id: item.open for item in settlement.items if item.invoice_id}
    invoices = list(invoices)
    for invoice in invoices:
        invoice.open_amount = None if invoice.corrects_id else open_by_invoice.get(invoice.pk)
    return invoices


def _consent_rows(state: dict[tuple[str, str], bool]) -> list[dict]:
    return [
        {
            "kind": ConsentKind(kind).label,
            "media": [(ConsentMedium(medium).label, state.get((kind, medium), False)) for medium in media],
        }
        for kind, media in MEDIA.items()
    ]


@require_safe
@staff_required("customers.view_customer")
def customer(request: HttpRequest, code: str) -> HttpResponse:
    customer = _customer(code)
    today = clock.today()
    settlement = settlement_for_customer(customer)
    readings, more_readings = _recent(readings_for_customer(customer))
    invoices, more_invoices = _recent(invoices_for_customer(customer))
    payments, more_payments = _recent(payments_for_customer(customer).select_related("invoice"))
    consents, more_consents = _recent(consent_history(customer))
    changes, more_changes = _recent(change_requests_for_customer(customer))
    consent_state = current_consents(customer)
    can_see_messages = request.user.has_perm("notifications.view_message")
    sent, more_sent = _recent(messages_for_customer(customer)) if can_see_messages else ([], False)
    consent_form = (
        ConsentRecordForm(current=consent_state)
        if request.user.has_perm("notifications.add_consentevent")
        else None
    )
    can_audit = request.user.has_perm("audit.view_auditentry")
    audit = (
        with_readable_data(
            with_details(audit_for_customer(customer.pk)).order_by("-at", "-id")[:AUDIT_RECENT]
        )
        if can_audit
        else []
    )
    return render(
        request,
        "backoffice/customers/customer.html",
        {
            "customer": customer,
            "today": today,
            "balance": settlement.open_total - settlement.credit,
            "open_total": settlement.open_total,
            "overdue_total": settlement.overdue_total(today),
            "credit": settlement.credit,
            "points": points_for_customer(customer),
            "readings": readings,
            "more_readings": more_readings,
            "invoices": _with_open_amounts(invoices, settlement),
            "more_invoices": more_invoices,
            "payments": payments,
            "more_payments": more_payments,
            "ledger": ledger_with_running_balance(customer, limit=RECENT),
            "consent_rows": _consent_rows(consent_state),
            "consent_form": consent_form,
            "consents": consents,
            "more_consents": more_consents,
            "changes": changes,
            "more_changes": more_changes,
            "can_see_messages": can_see_messages,
            "sent": sent,
            "more_sent": more_sent,
            "accounts": portal_accounts_for_customer(customer),
            "can_audit": can_audit,
            "audit": audit,
            "audit_of_data": audit_url(customer),
        },
    )


HISTORIES = {
    "readings": gettext_lazy("Readings"),
    "invoices": gettext_lazy("Invoices"),
    "payments": gettext_lazy("Payments"),
    "ledger": gettext_lazy("Ledger"),
    "consents": gettext_lazy("Consent history"),
    "changes": gettext_lazy("Change requests"),
}


@require_safe
@staff_required("customers.view_customer")
def customer_history(request: HttpRequest, code: str, section: str) -> HttpResponse:
    """The whole of one list of the customer's page, paginated."""
    if section not in HISTORIES:
        raise Http404
    customer = _customer(code)
    if section == "readings":
        rows = readings_for_customer(customer)
    elif section == "invoices":
        rows = invoices_for_customer(customer)
    elif section == "payments":
        rows = payments_for_customer(customer).select_related("invoice")
    elif section == "ledger":
        rows = ledger_with_running_balance(customer)
    elif section == "consents":
        rows = consent_history(customer)
    else:
        rows = change_requests_for_customer(customer)
    page = Paginator(rows, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    items = page.object_list
    if section == "invoices":
        items = _with_open_amounts(items, settlement_for_customer(customer))
    return render(
        request,
        "backoffice/customers/history.html",
        {"customer": customer, "section": section, "title": HISTORIES[section], "page": page, "items": items},
    )


# --- consents given at the office or on paper -----------------------------------------------------------


def _consent_changes_text(events) -> str:
    return "; ".join(
        _("%(consent)s – %(medium)s: %(change)s")
        % {
            "consent": capfirst(event.get_kind_display()),
            "medium": event.get_medium_display(),
            "change": _("given") if event.given else _("withdrawn"),
        }
        for event in events
    )


@staff_required("notifications.add_consentevent")
def customer_consents_record(request: HttpRequest, code: str) -> HttpResponse:
    """The form is on the customer's page; this page shows it again when something is missing (and on GET)."""
    customer = _customer(code)
    form = ConsentRecordForm(request.POST or None, current=current_consents(customer))
    if request.method == "POST" and form.is_valid():
        events = consents_set(
            actor=staff_actor(request),
            customer=customer,
            wanted=form.wanted(),
            channel=form.cleaned_data["channel"],
            document=form.document_reference(),
        )
        if events:
            messages.success(
                request,
                _("Consents of customer %(code)s recorded: %(changes)s.")
                % {"code": customer.code, "changes": _consent_changes_text(events)},
            )
        else:
            messages.info(
                request,
                _("Nothing changed: the consents of customer %(code)s were already like this.")
                % {"code": customer.code},
            )
        return redirect(f"{reverse('backoffice:customer', args=[customer.code])}#consents-h")
    return render(
        request,
        "backoffice/customers/consents_record.html",
        {"customer": customer, "form": form},
        status=400 if form.errors else 200,
    )


# --- change requests -----------------------------------------------------------------------------------


def _field_label(field: str) -> str:
    try:
        return capfirst(Customer._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a field that is no longer on the model: show its name
        return field


def _render_change_requests(
    request: HttpRequest, bound: ChangeRequestDecisionForm | None = None
) -> HttpResponse:
    pending = list(change_requests_pending())
    for change in pending:
        change.rows = [
            (_field_label(field), getattr(change.customer, field, ""), value)
            for field, value in change.changes.items()
        ]
        prefix = f"cr{change.pk}"
        change.form = (
            bound
            if bound is not None and bound.prefix == prefix
            else ChangeRequestDecisionForm(prefix=prefix)
        )
    return render(
        request,
        "backoffice/customers/change_requests.html",
        {"pending": pending, "can_decide": request.user.has_perm("customers.change_changerequest")},
    )


@require_safe
@staff_required("customers.view_changerequest")
def change_requests(request: HttpRequest) -> HttpResponse:
    return _render_change_requests(request)


def _validation_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{_field_label(field)}: {' '.join(messages_)}" for field, messages_ in error.message_dict.items()
        )
    return " ".join(error.messages)


@require_POST
@staff_required("customers.change_changerequest")
def change_request_decide_view(request: HttpRequest, request_id: int) -> HttpResponse:
    change = get_object_or_404(ChangeRequest.objects.select_related("customer"), pk=request_id)
    names = {"id": change.pk, "code": change.customer.code}
    already = _("Request %(id)s of customer %(code)s was already decided.") % names
    if change.status != ChangeRequestStatus.PENDING:
        messages.error(request, already)
        return redirect("backoffice:change_requests")
    form = ChangeRequestDecisionForm(request.POST, prefix=f"cr{change.pk}")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            change_request_decide(
                actor=staff_actor(request), request=change, approve=approve, note=form.cleaned_data["note"]
            )
        except ChangeRequestDecided:  # by a colleague since this request began
            messages.error(request, already)
            return redirect("backoffice:change_requests")
        except ValidationError as error:
            form.add_error(
                None,
                _("The change can't be applied, nothing was changed: %(errors)s")
                % {"errors": _validation_text(error)},
            )
        else:
            if approve:
                messages.success(request, _("Approved: the data of customer %(code)s were changed.") % names)
            else:
                messages.success(request, _("Rejected request %(id)s of customer %(code)s.") % names)
            return redirect("backoffice:change_requests")
    return _render_change_requests(request, bound=form)


urlpatterns = [
    path("customers/", customers, name="customers"),
    path("customers/<str:code>/", customer, name="customer"),
    path("customers/<str:code>/consents/record/", customer_consents_record, name="customer_consents_record"),
    path("customers/<str:code>/<slug:section>/", customer_history, name="customer_history"),
    path("change-requests/", change_requests, name="change_requests"),
    path("change-requests/<int:request_id>/", change_request_decide_view, name="change_request_decide"),
]
