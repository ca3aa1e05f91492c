"""Back-office: the queue of portal registrations waiting for activation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ebok.accounts.models import Registration, RegistrationStatus
from ebok.accounts.selectors import registrations_waiting
from ebok.accounts.services import registration_activate, registration_reject
from ebok.backoffice.access import staff_actor, staff_required
from ebok.common import clock

LATE_HOURS = 24


@staff_required("accounts.view_registration")
def activations(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    waiting = list(registrations_waiting())
    for registration in waiting:
        registration.hours_waiting = int((now - registration.email_confirmed_at).total_seconds() // 3600)
        registration.late = registration.hours_waiting >= LATE_HOURS
    return render(
        request,
        "backoffice/activations.html",
        {"waiting": waiting, "can_decide": request.user.has_perm("accounts.decide_registration")},
    )


@require_POST
@staff_required("accounts.decide_registration")
def activation_decide(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = get_object_or_404(
        Registration.objects.filter(status=RegistrationStatus.PENDING).select_related("user"),
        pk=registration_id,
    )
    actor = staff_actor(request)
    if request.POST.get("decision") == "activate":
        if registration.customer is None:
            messages.error(request, _("The code and invoice number did not match: find the customer first."))
        else:
            registration_activate(actor=actor, registration=registration)
            messages.success(request, _("Activated: %(email)s") % {"email": registration.user.email})
    elif request.POST.get("decision") == "reject":
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            messages.error(request, _("Give the reason for rejecting; the person will read it."))
        else:
            registration_reject(actor=actor, registration=registration, reason=reason)
            messages.success(request, _("Rejected: %(email)s") % {"email": registration.user.email})
    return redirect("backoffice:activations")


urlpatterns = [
    path("activations/", activations, name="activations"),
    path("activations/<int:registration_id>/", activation_decide, name="activation_decide"),
]
