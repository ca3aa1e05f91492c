"""Customer-facing pages of EBOK."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ebok.company.selectors import company_or_none


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"company": company_or_none()})
