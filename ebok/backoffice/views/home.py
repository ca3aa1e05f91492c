"""Back-office start page: what waits for the office today."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ebok.accounts.selectors import registrations_waiting
from ebok.backoffice.access import staff_required
from ebok.customers.models import ChangeRequest, ChangeRequestStatus
from ebok.notifications.models import Message, MessageStatus
from ebok.payments.models import Payment
from ebok.readings.models import Reading, Status


@staff_required(None)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    waiting = []
    if user.has_perm("accounts.view_registration"):
        waiting.append(("activations", registrations_waiting().count()))
    if user.has_perm("readings.view_reading"):
        waiting.append(("held_readings", Reading.objects.filter(status=Status.HELD).count()))
    if user.has_perm("customers.view_changerequest"):
        waiting.append(
            ("change_requests", ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).count())
        )
    if user.has_perm("payments.view_payment"):
        waiting.append(("unmatched_payments", Payment.objects.filter(customer__isnull=True).count()))
    if user.has_perm("notifications.view_message"):
        waiting.append(("failed_messages", Message.objects.filter(status=MessageStatus.FAILED).count()))
    return render(request, "backoffice/home.html", {"waiting": dict(waiting)})
