"""The current consents of a customer (the latest event per consent wins) and their history."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.db.models import Q, QuerySet

from ebok.customers.models import Customer
from ebok.notifications.models import (
    Announcement,
    AnnouncementScope,
    ConsentEvent,
    ConsentKind,
    ConsentMedium,
    Message,
)

# Bump when the wording of a consent changes; each event records the version the customer saw.
CONSENT_TEXT_VERSION = "2026-11"

# Which media each kind can use: electronic invoices go by e-mail; service notices by e-mail or SMS.
MEDIA = {
    ConsentKind.E_INVOICE: [ConsentMedium.EMAIL],
    ConsentKind.INVOICE_ISSUED: [ConsentMedium.EMAIL, ConsentMedium.SMS],
    ConsentKind.READING_WINDOW: [ConsentMedium.EMAIL, ConsentMedium.SMS],
    ConsentKind.PAYMENT_DUE: [ConsentMedium.EMAIL, ConsentMedium.SMS],
    ConsentKind.PAYMENT_RECEIVED: [ConsentMedium.EMAIL, ConsentMedium.SMS],
    ConsentKind.READING_REVIEW: [ConsentMedium.EMAIL, ConsentMedium.SMS],
    ConsentKind.OUTAGE: [ConsentMedium.EMAIL, ConsentMedium.SMS],
    ConsentKind.MARKETING: [ConsentMedium.EMAIL, ConsentMedium.SMS],
}


def current_consents(customer: Customer | int) -> dict[tuple[str, str], bool]:
    """{(kind, medium): given} from the latest event of each; a consent never given is absent (= no)."""
    state: dict[tuple[str, str], bool] = {}
    for kind, medium, given in (
        ConsentEvent.objects.filter(customer=customer)
        .order_by("at", "id")
        .values_list("kind", "medium", "given")
    ):
        state[(kind, medium)] = given
    return state


def has_consent(customer: Customer | int, kind: str, medium: str = ConsentMedium.EMAIL) -> bool:
    latest = (
        ConsentEvent.objects.filter(customer=customer, kind=kind, medium=medium)
        .order_by("-at", "-id")
        .values_list("given", flat=True)
        .first()
    )
    return bool(latest)


def consent_history(customer: Customer) -> QuerySet[ConsentEvent]:
    return ConsentEvent.objects.filter(customer=customer).select_related("by").order_by("-at", "-id")


def street_name(street_and_number: str) -> str:
    """ "Lipowa 12/3" → "Lipowa": the street an address is on, for announcements by street."""
    return re.sub(r"\s+\d[\w/ -]*$", "", street_and_number.strip())


def announcement_areas() -> dict[str, list[str]]:
    """{town: [streets]} of the service points, for choosing where an announcement applies."""
    from ebok.metering.models import ServicePoint

    areas: dict[str, set[str]] = {}
    for city, street in ServicePoint.objects.values_list("city", "street").distinct():
        areas.setdefault(city, set()).add(street_name(street))
    return {city: sorted(streets) for city, streets in sorted(areas.items())}


def announcement_recipients(announcement: Announcement, *, consented_to: str = "") -> Iterator[Customer]:
    """The customers with a service point in the announcement's area (each once); with `consented_to`, only
    those who ever gave that consent (a prefilter: the sender still checks the current state)."""
    from ebok.metering.models import ServicePoint

    points = ServicePoint.objects.all()
    if consented_to:
        ever = ConsentEvent.objects.filter(kind=consented_to, given=True).values("customer_id")
        points = points.filter(customer_id__in=ever)
    if announcement.scope != AnnouncementScope.EVERYONE:
        points = points.filter(city=announcement.city)
    seen: set[int] = set()
    for customer_id, street in points.values_list("customer_id", "street").order_by("customer_id"):
        if announcement.scope == AnnouncementScope.STREET and street_name(street) != announcement.street:
            continue
        seen.add(customer_id)
    yield from Customer.objects.filter(pk__in=seen).order_by("pk").iterator(chunk_size=500)


def announcements_current(today: dt.date) -> QuerySet[Announcement]:
    """What the portal's home page shows: announcements running today or starting within a week."""
    return Announcement.objects.filter(
        ends_on__gte=today, starts_on__lte=today + dt.timedelta(days=7)
    ).order_by("starts_on", "id")


def messages_for_customer(customer: Customer) -> QuerySet[Message]:
    return Message.objects.filter(customer=customer).order_by("-created_at", "-id")


def messages_search(*, status: str = "", query: str = "") -> QuerySet[Message]:
    messages = Message.objects.select_related("customer").order_by("-created_at", "-id")
    if status:
        messages = messages.filter(status=status)
    if query:
        messages = messages.filter(
            Q(to__icontains=query) | Q(subject__icontains=query) | Q(customer__code=query)
        )
    return messages
