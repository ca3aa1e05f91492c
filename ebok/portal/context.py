"""Template context on every page: the utility's data for the header, footer and contact details."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ebok.company.models import Company
from ebok.company.selectors import company_or_none


def request_company(request: HttpRequest) -> Company | None:
    """The utility's data, read at most once per request however many parts of the page need it (the header,
    the footer, the page itself). Never kept longer: staff may change it at any time."""
    if not hasattr(request, "_ebok_company"):
        request._ebok_company = company_or_none()
    return request._ebok_company


def site(request: HttpRequest) -> dict:
    # `customer` and `customers` are set on the request by ebok.portal.access.customer_required.
    return {
        "company": SimpleLazyObject(lambda: request_company(request)),
        "customer": getattr(request, "customer", None),
        "customers": getattr(request, "customers", []),
    }
