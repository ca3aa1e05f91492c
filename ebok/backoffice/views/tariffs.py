"""Back-office: tariff groups with their price versions; a new version, after a preview of what it affects."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.tariffs import TariffForm
from ebok.common import clock
from ebok.tariffs.selectors import groups_with_tariffs, tariff_impact
from ebok.tariffs.services import tariff_create


@staff_required("tariffs.view_tariff")
def tariffs(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    groups = list(groups_with_tariffs())
    for group in groups:
        in_force = [t for t in group.versions if t.valid_from <= today]
        group.current_pk = in_force[-1].pk if in_force else None
    return render(
        request,
        "backoffice/tariffs/list.html",
        {"groups": groups, "can_add": request.user.has_perm("tariffs.add_tariff")},
    )


class _DryRun(Exception):
    pass


def _check_with_service(form: TariffForm, actor) -> bool:
    """Run tariff_create and roll it back, so that the preview already shows the service's objections."""
    try:
        with transaction.atomic():
            tariff_create(actor=actor, **form.service_arguments())
            raise _DryRun
    except _DryRun:
        return True
    except ValidationError as error:
        form.add_service_errors(error)
        return False


@staff_required("tariffs.add_tariff")
def tariff_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST step=preview: what the tariff affects. step=confirm: save. step=edit: back."""
    if request.method != "POST":
        form = TariffForm(initial={"group": request.GET.get("group")} if request.GET.get("group") else None)
        return render(request, "backoffice/tariffs/form.html", {"form": form})
    form = TariffForm(request.POST)
    step = request.POST.get("step", "preview")
    if step == "edit":
        return render(request, "backoffice/tariffs/form.html", {"form": form})
    actor = staff_actor(request)
    if not form.is_valid():
        return render(request, "backoffice/tariffs/form.html", {"form": form}, status=400)
    if step == "confirm":
        try:
            tariff = tariff_create(actor=actor, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
            return render(request, "backoffice/tariffs/form.html", {"form": form}, status=400)
        messages.success(
            request,
            _("The tariff of group %(group)s valid from %(date)s is saved.")
            % {"group": tariff.group.code, "date": tariff.valid_from.strftime("%d.%m.%Y")},
        )
        return redirect("backoffice:tariffs")
    if not _check_with_service(form, actor):
        return render(request, "backoffice/tariffs/form.html", {"form": form}, status=400)
    data = form.cleaned_data
    return render(
        request,
        "backoffice/tariffs/preview.html",
        {"form": form, "data": data, "impact": tariff_impact(data["group"], data["valid_from"])},
    )


urlpatterns = [
    path("tariffs/", tariffs, name="tariffs"),
    path("tariffs/new/", tariff_new, name="tariff_new"),
]
