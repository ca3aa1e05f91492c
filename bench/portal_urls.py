"""The product's URL map plus one benchmark-only page: the portal dashboard's template rendered with no
database query at all, to measure the floor under the real dashboard (same server, middleware, template).

The bare page shows the customer EBOK_BENCH_CUSTOMER as their user EBOK_BENCH_USER would see it. Its data
(the same selectors as the dashboard's) is read once per process, on the first request, and then reused;
the benchmark warms every worker up before measuring. Requests to it carry no session cookie, so the
session and the user are never loaded either.
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from ebok.urls import urlpatterns as product_urlpatterns

_context: dict = {}


def _load() -> dict:
    from ebok.accounts.models import User
    from ebok.common import clock
    from ebok.company.selectors import company_or_none
    from ebok.customers.models import ChangeRequestStatus, Customer
    from ebok.payments.selectors import payments_for_customer, settlement_for_customer
    from ebok.readings.selectors import points_for_customer

    customer = Customer.objects.get(pk=int(os.environ["EBOK_BENCH_CUSTOMER"]))
    settlement = settlement_for_customer(customer)
    today = clock.today()
    return {
        "user": User.objects.get(pk=int(os.environ["EBOK_BENCH_USER"])),
        "context": {
            "company": company_or_none(),
            "customer": customer,
            "customers": [customer],
            "nav": "dashboard",
            "settlement": settlement,
            "open_items": settlement.open_items,
            "overdue_total": settlement.overdue_total(today),
            "balance": settlement.open_total - settlement.credit,
            "today": today,
            "points": list(points_for_customer(customer)),
            "payments": list(payments_for_customer(customer).select_related("invoice")[:5]),
            "pending_changes": customer.change_requests.filter(status=ChangeRequestStatus.PENDING).exists(),
        },
    }


def bare_dashboard(request: HttpRequest) -> HttpResponse:
    if not _context:
        _context.update(_load())
    request.user = _context["user"]  # the logged-in header and menu, without the session's queries
    return render(request, "portal/customer/dashboard.html", _context["context"])


urlpatterns = [*product_urlpatterns, path("bench/bare-dashboard/", bare_dashboard)]
