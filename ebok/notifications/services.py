"""Giving and withdrawing consents: every change is a new event, so the history is complete."""

from __future__ import annotations

from django.db import transaction

from ebok.audit.services import audit_log
from ebok.billing.documents.pdf import render_invoice_pdf
from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.customers.models import Customer
from ebok.notifications.emails import send_email
from ebok.notifications.models import ConsentEvent, ConsentKind, ConsentMedium
from ebok.notifications.selectors import CONSENT_TEXT_VERSION, current_consents, has_consent


@transaction.atomic
def consents_set(
    *,
    actor: Actor,
    customer: Customer,
    wanted: dict[tuple[str, str], bool],
    channel: str,
    text_version: str = CONSENT_TEXT_VERSION,
) -> list[ConsentEvent]:
    """Record the consents that differ from the current state; returns the new events (none if unchanged)."""
    Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one change at a time per customer
    current = current_consents(customer)
    now = clock.now()
    events = []
    for (kind, medium), given in sorted(wanted.items()):
        if kind not in ConsentKind.values or medium not in ConsentMedium.values:
            raise ValueError(f"unknown consent {kind}/{medium}")
        if current.get((kind, medium), False) == given:
            continue
        event = ConsentEvent.objects.create(
            customer=customer,
            kind=kind,
            medium=medium,
            given=given,
            text_version=text_version,
            channel=channel,
            at=now,
            by=actor.user,
        )
        audit_log(
            actor=actor,
            action="consent.given" if given else "consent.withdrawn",
            obj=event,
            customer_id=customer.pk,
            data={"kind": kind, "medium": medium, "channel": channel, "text_version": text_version},
        )
        events.append(event)
    return events


def notify_invoice_issued(invoice: Invoice) -> str:
    """Deliver a new invoice as the customer's consents say; returns how: "email", "notice" or "paper".

    With e-invoice consent and an address the PDF goes by e-mail (art. 106n of the VAT act); otherwise the
    invoice is printed and posted by the office, and a notice is e-mailed if the customer asked for one.
    """
    customer = invoice.customer
    if customer.email and has_consent(customer, ConsentKind.E_INVOICE):
        send_email(
            to=customer.email,
            name="invoice_issued",
            context={"invoice": invoice, "attached": True},
            language=customer.language,
            attachments=[
                (f"{invoice.number.replace('/', '-')}.pdf", render_invoice_pdf(invoice), "application/pdf")
            ],
        )
        return "email"
    if customer.email and has_consent(customer, ConsentKind.INVOICE_ISSUED):
        send_email(
            to=customer.email,
            name="invoice_issued",
            context={"invoice": invoice, "attached": False},
            language=customer.language,
        )
        return "notice"
    return "paper"
