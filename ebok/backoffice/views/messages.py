"""Back-office: the outbox of e-mails and SMS (what was sent, what waits, what failed) and sending a failed
message again."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.notifications import MessageFilterForm
from ebok.backoffice.views.audit import audit_url
from ebok.notifications.models import Message, MessageStatus
from ebok.notifications.outbox import message_resend
from ebok.notifications.selectors import messages_search

PAGE_SIZE = 50


@require_safe
@staff_required("notifications.view_message")
def message_list(request: HttpRequest) -> HttpResponse:
    form = MessageFilterForm(request.GET or None)
    page = Paginator(messages_search(**form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/messages/list.html",
        {"form": form, "page": page, "failed": MessageStatus.FAILED},
        status=400 if form.errors else 200,
    )


@require_safe
@staff_required("notifications.view_message")
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("customer", "invoice"), pk=message_id)
    return render(
        request,
        "backoffice/messages/message.html",
        {
            "message": message,
            "failed": message.status == MessageStatus.FAILED,
            # A one-time link (password reset, e-mail confirmation) must not reach anybody but its recipient.
            "body_hidden": message.sensitive,
            "can_resend": request.user.has_perm("notifications.change_message"),
            "can_audit": request.user.has_perm("audit.view_auditentry"),
            "audit_of_message": audit_url(message),
        },
    )


@require_POST
@staff_required("notifications.change_message")
def message_resend_view(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=message_id)
    if message.status != MessageStatus.FAILED:
        messages.error(
            request,
            _("Only a failed message can be sent again; this one is “%(status)s”.")
            % {"status": message.get_status_display()},
        )
        return redirect("backoffice:message", message.pk)
    try:
        message_resend(actor=staff_actor(request), message=message)
    except ValueError:  # sent again by a colleague a moment ago
        messages.error(request, _("This message is already being sent again."))
    else:
        messages.success(request, _("The message to %(to)s is queued to be sent again.") % {"to": message.to})
    return redirect("backoffice:message", message.pk)


urlpatterns = [
    path("messages/", message_list, name="messages"),
    path("messages/<int:message_id>/", message_detail, name="message"),
    path("messages/<int:message_id>/resend/", message_resend_view, name="message_resend"),
]
