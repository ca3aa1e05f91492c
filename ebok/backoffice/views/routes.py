"""Back-office: meter readers' routes per reading window — who walks which route, and how far they got."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ebok.accounts.models import Role, User
from ebok.backoffice.access import staff_actor, staff_required
from ebok.common import clock
from ebok.company.models import ReadingWindow
from ebok.company.selectors import company as get_company
from ebok.metering.models import Route, RouteAssignment, ServicePoint
from ebok.metering.routes import Window, route_assign, route_progress, window_of
from ebok.readings.models import Reading, Source, Status

STATES = ["read", "self_reported", "no_access", "not_read"]


def _window(request: HttpRequest) -> Window | None:
    """The window chosen in the query string (?year=2026&window=3), else the one today falls in."""
    company = get_company()
    chosen = ReadingWindow.objects.filter(company=company, ordinal=request.GET.get("window") or 0).first()
    try:
        year = int(request.GET.get("year") or clock.today().year)
        day = dt.date(year, chosen.start_month, chosen.start_day) if chosen else clock.today()
    except ValueError:
        day = clock.today()
    return window_of(day, company)


def _readers():
    return User.objects.filter(groups__name=Role.READER.value, is_active=True).order_by("username")


class AssignForm(forms.Form):
    reader = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("Meter reader"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reader"].queryset = _readers()


@staff_required("metering.view_routeassignment")
def routes(request: HttpRequest) -> HttpResponse:
    window = _window(request)
    rows = []
    sources: Counter = Counter()
    if window is not None:
        assignments = {
            a.route_id: a
            for a in RouteAssignment.objects.filter(year=window.year, window=window.ordinal).select_related(
                "reader"
            )
        }
        points = list(ServicePoint.objects.filter(route__isnull=False).only("id", "route_id"))
        progress = route_progress(points, window)
        by_route: dict[int, Counter] = {}
        for point in points:
            by_route.setdefault(point.route_id, Counter())[progress.get(point.pk, "not_read")] += 1
        for route in Route.objects.order_by("code"):
            counts = by_route.get(route.pk, Counter())
            total = sum(counts.values())
            done = counts["read"] + counts["self_reported"]
            rows.append(
                {
                    "route": route,
                    "assignment": assignments.get(route.pk),
                    "counts": [counts[s] for s in STATES],
                    "total": total,
                    "coverage": round(100 * done / total) if total else 0,
                }
            )
        sources = Counter(
            Reading.objects.filter(
                date__range=(window.start, window.end), status__in=[Status.ACCEPTED, Status.HELD]
            ).values_list("source", flat=True)
        )
    return render(
        request,
        "backoffice/routes/routes.html",
        {
            "window": window,
            "windows": ReadingWindow.objects.filter(company=get_company()).order_by("ordinal"),
            "rows": rows,
            "sources": [(label, sources.get(value, 0)) for value, label in Source.choices],
            "form": AssignForm(),
            "can_assign": request.user.has_perm("metering.change_route"),
        },
    )


@require_POST
@staff_required("metering.change_route")
def assign(request: HttpRequest, code: str) -> HttpResponse:
    route = get_object_or_404(Route, code=code)
    window = _window(request)
    form = AssignForm(request.POST)
    if window is None or not form.is_valid():
        messages.error(request, _("Choose a meter reader."))
    else:
        route_assign(
            actor=staff_actor(request),
            route=route,
            reader=form.cleaned_data["reader"],
            year=window.year,
            window=window.ordinal,
        )
        messages.success(
            request,
            _("Route %(route)s is assigned to %(reader)s.")
            % {"route": route.name, "reader": form.cleaned_data["reader"].get_username()},
        )
    query = f"?year={window.year}&window={window.ordinal}" if window else ""
    return redirect(reverse("backoffice:routes") + query)


@staff_required("metering.view_routeassignment")
def route_detail(request: HttpRequest, code: str) -> HttpResponse:
    route = get_object_or_404(Route, code=code)
    window = _window(request)
    points = list(
        ServicePoint.objects.filter(route=route).select_related("customer").order_by("route_order", "id")
    )
    progress = route_progress(points, window) if window else {}
    for point in points:
        point.state = progress.get(point.pk, "not_read")
    return render(
        request,
        "backoffice/routes/route.html",
        {
            "route": route,
            "window": window,
            "points": points,
            "never": [p for p in points if p.state == "not_read"],
        },
    )


urlpatterns = [
    path("routes/", routes, name="routes"),
    path("routes/<str:code>/", route_detail, name="route"),
    path("routes/<str:code>/assign/", assign, name="route_assign"),
]
