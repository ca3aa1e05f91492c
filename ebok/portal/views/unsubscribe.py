"""Unsubscribing from one kind of notification by the signed link in a message, without logging in.

The signed token is the only credential (it names one message); the POST is exempt from CSRF so that mail
programs can unsubscribe in one click (RFC 8058, List-Unsubscribe-Post). A link works once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from ebok.notifications.outbox import message_for_unsubscribe_token
from ebok.notifications.services import unsubscribe
from ebok.portal.access import client_ip


@csrf_exempt
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    message = message_for_unsubscribe_token(token)
    if message is None:
        return render(request, "portal/unsubscribe/invalid.html", status=400)
    context = {"kind": message.get_kind_display(), "medium": message.get_medium_display()}
    if message.unsubscribed_at is not None:
        return render(request, "portal/unsubscribe/used.html", context, status=410)
    if request.method == "POST":
        if not unsubscribe(message=message, ip=client_ip(request)):
            return render(request, "portal/unsubscribe/used.html", context, status=410)
        return render(request, "portal/unsubscribe/done.html", context)
    return render(request, "portal/unsubscribe/confirm.html", context)
