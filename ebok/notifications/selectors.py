"""The current consents of a customer (the latest event per consent wins) and their history."""

from __future__ import annotations

from django.db.models import QuerySet

from ebok.customers.models import Customer
from ebok.notifications.models import ConsentEvent, ConsentKind, ConsentMedium

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
