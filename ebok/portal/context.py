"""Template context on every page: the utility's data for the header, footer and contact details."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ebok.company.selectors import company_or_none


def site(request: HttpRequest) -> dict:
    # `customer` and `customers` are set on the request by ebok.portal.access.customer_required.
    return {
        "company": SimpleLazyObject(company_or_none),
        "customer": getattr(request, "customer", None),
        "customers": getattr(request, "customers", []),
    }
