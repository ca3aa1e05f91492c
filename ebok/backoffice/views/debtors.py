"""Back-office: debtors — what each customer owes, how late, and the interest for delay (billing-rules §8)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from ebok.backoffice.access import staff_required
from ebok.backoffice.forms.payments import DebtorsForm
from ebok.backoffice.views.reports import csv_response
from ebok.common import clock
from ebok.payments.debtors import AGE_BUCKETS, BUCKET_KEYS, debt_summary, debtors, interest_kind

PAGE_SIZE = 50


@staff_required("payments.view_payment")
def debtors_view(request: HttpRequest) -> HttpResponse:
    form = DebtorsForm(request.GET if "as_of" in request.GET else None)
    as_of = (form.cleaned_data.get("as_of") if form.is_bound and form.is_valid() else None) or clock.today()
    rows = debtors(as_of)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"debtors-{as_of.isoformat()}.csv",
            [
                "customer_code",
                "name",
                "kind",
                "open",
                "overdue",
                *BUCKET_KEYS,
                "oldest_due_date",
                "interest_kind",
                "interest",
            ],
            (
                [
                    d.code,
                    d.name,
                    d.kind,
                    d.open_total,
                    d.overdue_total,
                    *d.bucket_amounts,
                    d.oldest_due,
                    interest_kind(d.kind),
                    d.interest,
                ]
                for d in rows
            ),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    return render(
        request,
        "backoffice/debtors/list.html",
        {
            "form": form,
            "as_of": as_of,
            "page": page,
            "summary": debt_summary(rows),
            "buckets": AGE_BUCKETS,
            "query": query.urlencode(),
            "csv_query": csv_query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [path("debtors/", debtors_view, name="debtors")]
