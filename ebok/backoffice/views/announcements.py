"""Back-office: announcements of water outages and planned works, shown on the portal's home page and sent,
once, to the customers of the area who consented to such messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from ebok.backoffice.access import staff_actor, staff_required
from ebok.backoffice.forms.notifications import AnnouncementForm
from ebok.backoffice.views.audit import audit_url
from ebok.notifications.models import Announcement
from ebok.notifications.selectors import announcement_areas
from ebok.notifications.services import announcement_create, announcement_send

PAGE_SIZE = 50


@require_safe
@staff_required("notifications.view_announcement")
def announcement_list(request: HttpRequest) -> HttpResponse:
    announcements = Announcement.objects.order_by("-starts_on", "-id")
    page = Paginator(announcements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/announcements/list.html",
        {"page": page, "can_add": request.user.has_perm("notifications.add_announcement")},
    )


@staff_required("notifications.add_announcement")
def announcement_new(request: HttpRequest) -> HttpResponse:
    form = AnnouncementForm(request.POST or None, areas=announcement_areas())
    if request.method == "POST" and form.is_valid():
        try:
            announcement = announcement_create(actor=staff_actor(request), **form.service_arguments())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _(
                    "The announcement is saved and shown on the portal. Check it, then send it to the customers."
                ),
            )
            return redirect("backoffice:announcement", announcement.pk)
    return render(
        request, "backoffice/announcements/new.html", {"form": form}, status=400 if form.errors else 200
    )


@require_safe
@staff_required("notifications.view_announcement")
def announcement_detail(request: HttpRequest, announcement_id: int) -> HttpResponse:
    announcement = get_object_or_404(Announcement.objects.select_related("created_by"), pk=announcement_id)
    return render(
        request,
        "backoffice/announcements/announcement.html",
        {
            "announcement": announcement,
            "can_send": request.user.has_perm("notifications.add_announcement"),
            "can_audit": request.user.has_perm("audit.view_auditentry"),
            "audit_of_announcement": audit_url(announcement),
        },
    )


def _already_sent(announcement: Announcement) -> str:
    return ngettext(
        "This announcement was already sent on %(date)s (%(count)d message). It is sent only once.",
        "This announcement was already sent on %(date)s (%(count)d messages). It is sent only once.",
        announcement.recipients,
    ) % {
        "date": timezone.localtime(announcement.sent_at).strftime("%d.%m.%Y %H:%M"),
        "count": announcement.recipients,
    }


@require_POST
@staff_required("notifications.add_announcement")
def announcement_send_view(request: HttpRequest, announcement_id: int) -> HttpResponse:
    announcement = get_object_or_404(Announcement, pk=announcement_id)
    if announcement.sent_at is not None:
        messages.error(request, _already_sent(announcement))
        return redirect("backoffice:announcement", announcement.pk)
    count = announcement_send(actor=staff_actor(request), announcement=announcement)
    announcement.refresh_from_db()
    if count == 0 and announcement.recipients:  # a colleague sent it a moment ago
        messages.error(request, _already_sent(announcement))
    elif count:
        messages.success(
            request,
            ngettext(
                "Sent: %(count)d message to the customers of the area who consented to such messages.",
                "Sent: %(count)d messages to the customers of the area who consented to such messages.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(
            request,
            _("Nobody was sent the announcement: no customer of the area consented to such messages."),
        )
    return redirect("backoffice:announcement", announcement.pk)


urlpatterns = [
    path("announcements/", announcement_list, name="announcements"),
    path("announcements/new/", announcement_new, name="announcement_new"),
    path("announcements/<int:announcement_id>/", announcement_detail, name="announcement"),
    path("announcements/<int:announcement_id>/send/", announcement_send_view, name="announcement_send"),
]
