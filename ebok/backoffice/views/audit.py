"""Back-office: the audit trail, searchable by customer, object, action, user, channel and dates (read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe

from ebok.audit.models import AuditEntry
from ebok.audit.selectors import audit_search
from ebok.backoffice.access import staff_required
from ebok.backoffice.forms.customers import CHANNELS, AuditSearchForm

PAGE_SIZE = 50


def audit_url(obj: models.Model) -> str:
    """The audit trail of one object: link "history of this object" to it from any staff page."""
    return f"{reverse('backoffice:audit')}?{urlencode({'object': f'{obj._meta.label_lower}:{obj.pk}'})}"


def _text(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items()) or "–"
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value) or "–"
    return str(value)


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and not any(isinstance(v, dict | list) for v in value)


def readable(data: dict, *, changes: bool = False) -> list[tuple[str, str]]:
    """An entry's data as (key, text) rows. With `changes` (actions "….changed", whose data are
    {field: [old, new]}) a pair reads "old → new"."""
    rows = []
    for key, value in (data or {}).items():
        if changes and _is_pair(value):
            rows.append((key, f"{_text(value[0])} → {_text(value[1])}"))
        else:
            rows.append((key, _text(value)))
    return rows


def with_readable_data(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    entries = list(entries)
    channels = dict(CHANNELS)
    for entry in entries:
        entry.rows = readable(entry.data, changes=entry.action.endswith(".changed"))
        entry.channel_label = channels.get(entry.channel, entry.channel)
    return entries


@require_safe
@staff_required("audit.view_auditentry")
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    entries = AuditEntry.objects.none()
    if not form.is_bound:
        entries = audit_search()
    elif form.is_valid():
        entries = audit_search(**form.filters())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/audit/search.html",
        {"form": form, "page": page, "entries": with_readable_data(page)},
    )


urlpatterns = [
    path("audit/", audit, name="audit"),
]
