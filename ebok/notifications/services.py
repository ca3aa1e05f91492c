"""Giving and withdrawing consents: every change is a new event, so the history is complete."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from ebok.audit.services import audit_log
from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.customers.models import Customer
from ebok.notifications import sms
from ebok.notifications.models import (
    Announcement,
    ConsentEvent,
    ConsentKind,
    ConsentMedium,
    DeliveryMethod,
    InvoiceDelivery,
    Message,
)
from ebok.notifications.outbox import message_queue, sms_template_exists
from ebok.notifications.selectors import (
    CONSENT_TEXT_VERSION,
    MEDIA,
    announcement_recipients,
    current_consents,
    has_consent,
)


@transaction.atomic
def consents_set(
    *,
    actor: Actor,
    customer: Customer,
    wanted: dict[tuple[str, str], bool],
    channel: str,
    text_version: str = CONSENT_TEXT_VERSION,
    document: str = "",
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
            document=document,
        )
        audit_log(
            actor=actor,
            action="consent.given" if given else "consent.withdrawn",
            obj=event,
            customer_id=customer.pk,
            data={
                "kind": kind,
                "medium": medium,
                "channel": channel,
                "text_version": text_version,
                **({"document": document} if document else {}),
            },
        )
        events.append(event)
    return events


def _address(customer: Customer, medium: str) -> str | None:
    if medium == ConsentMedium.SMS:
        return sms.normalize_phone(customer.phone) if sms.provider() is not None else None
    return customer.email or None


def notify(
    *,
    customer: Customer,
    kind: str,
    template: str,
    context: dict,
    invoice: Invoice | None = None,
    dedupe_key: str | None = None,
    media: tuple[str, ...] | None = None,
) -> list[Message]:
    """Queue a notification of `kind` by every medium the customer consented to; returns what was queued.

    The one place that checks consents before a customer is sent anything. SMS goes only where the provider
    is on, the customer has a mobile number and the message has an SMS text.
    """
    queued = []
    for medium in media or MEDIA[kind]:
        if not has_consent(customer, kind, medium):
            continue
        to = _address(customer, medium)
        if to is None or (medium == ConsentMedium.SMS and not sms_template_exists(template)):
            continue
        message = message_queue(
            to=to,
            template=template,
            context={"customer": customer, **context},
            language=customer.language,
            medium=medium,
            customer=customer,
            kind=kind,
            invoice=invoice if medium == ConsentMedium.EMAIL else None,
            dedupe_key=f"{dedupe_key}:{medium}" if dedupe_key else None,
        )
        if message is not None:
            queued.append(message)
    return queued


@transaction.atomic
def notify_invoice_issued(invoice: Invoice) -> str:
    """Deliver a new invoice as the customer's consents say, once; returns how: "email", "notice" or "paper".

    With e-invoice consent and an address the PDF goes by e-mail (art. 106n of the VAT act); otherwise the
    office posts a paper copy, and a notice goes out if the customer asked for one. A second call for the same
    invoice sends nothing and returns the first answer.
    """
    existing = InvoiceDelivery.objects.filter(invoice=invoice).first()
    if existing is not None:
        return existing.method
    customer = invoice.customer
    context = {"invoice": invoice}
    method = DeliveryMethod.PAPER
    if customer.email and has_consent(customer, ConsentKind.E_INVOICE):
        notify(
            customer=customer,
            kind=ConsentKind.E_INVOICE,
            template="invoice_issued",
            context={**context, "attached": True},
            invoice=invoice,
            dedupe_key=f"invoice:{invoice.pk}",
        )
        method = DeliveryMethod.EMAIL
        # The SMS notice, if wanted, still goes: it is a separate consent.
        notify(
            customer=customer,
            kind=ConsentKind.INVOICE_ISSUED,
            template="invoice_issued",
            context=context,
            dedupe_key=f"invoice-notice:{invoice.pk}",
            media=(ConsentMedium.SMS,),
        )
    elif notify(
        customer=customer,
        kind=ConsentKind.INVOICE_ISSUED,
        template="invoice_issued",
        context={**context, "attached": False},
        dedupe_key=f"invoice-notice:{invoice.pk}",
    ):
        method = DeliveryMethod.NOTICE
    try:
        with transaction.atomic():
            InvoiceDelivery.objects.create(invoice=invoice, method=method, at=clock.now())
    except IntegrityError:  # delivered by another process a moment ago (the messages were deduplicated)
        return InvoiceDelivery.objects.get(invoice=invoice).method
    return method


def invoices_deliver_pending(*, lookback: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Deliver invoices issued without the portal (billing run, API, staff, reader) that nobody delivered yet."""
    pending = Invoice.objects.filter(
        issued_at__gte=clock.now() - lookback, delivery__isnull=True
    ).select_related("customer")
    count = 0
    for invoice in pending.iterator(chunk_size=500):
        notify_invoice_issued(invoice)
        count += 1
    return count


def notify_reading_review(reading, *, outcome: str) -> list[Message]:
    """A reading was held for review, or staff accepted / rejected it (outcome: held, accepted, rejected)."""
    point = reading.meter.service_point
    return notify(
        customer=point.customer,
        kind=ConsentKind.READING_REVIEW,
        template=f"reading_{outcome}",
        context={"reading": reading, "point": point},
        dedupe_key=f"reading-{outcome}:{reading.pk}",
    )


def notify_payment_received(payment) -> list[Message]:
    if payment.customer_id is None:
        return []
    return notify(
        customer=payment.customer,
        kind=ConsentKind.PAYMENT_RECEIVED,
        template="payment_received",
        context={"payment": payment},
        dedupe_key=f"payment:{payment.pk}",
    )


@transaction.atomic
def announcement_create(*, actor: Actor, **fields) -> Announcement:
    announcement = Announcement(created_at=clock.now(), created_by=actor.user, **fields)
    announcement.full_clean()
    announcement.save()
    audit_log(
        actor=actor,
        action="announcement.created",
        obj=announcement,
        data={"title": announcement.title, "area": announcement.area},
    )
    return announcement


@transaction.atomic
def announcement_send(*, actor: Actor, announcement: Announcement) -> int:
    """Send an announcement to the consenting customers of its area, once; returns how many messages."""
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if announcement.sent_at is not None:
        return 0
    count = 0
    for customer in announcement_recipients(announcement, consented_to=ConsentKind.OUTAGE):
        count += len(
            notify(
                customer=customer,
                kind=ConsentKind.OUTAGE,
                template="announcement",
                context={"announcement": announcement},
                dedupe_key=f"announcement:{announcement.pk}:{customer.pk}",
            )
        )
    announcement.sent_at = clock.now()
    announcement.recipients = count
    announcement.save(update_fields=["sent_at", "recipients"])
    audit_log(
        actor=actor,
        action="announcement.sent",
        obj=announcement,
        data={"title": announcement.title, "area": announcement.area, "messages": count},
    )
    return count


@transaction.atomic
def unsubscribe(*, message: Message, ip: str | None = None) -> bool:
    """Withdraw the consent a message was sent under, by its signed link; False if the link was used before."""
    message = Message.objects.select_for_update(of=("self",)).select_related("customer").get(pk=message.pk)
    if message.unsubscribed_at is not None or not message.kind or message.customer is None:
        return False
    message.unsubscribed_at = clock.now()
    message.save(update_fields=["unsubscribed_at"])
    consents_set(
        actor=Actor(user=None, channel="email-link", ip=ip),
        customer=message.customer,
        wanted={(message.kind, message.medium): False},
        channel="link",
    )
    return True
