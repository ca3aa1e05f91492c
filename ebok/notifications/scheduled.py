"""Notifications nobody clicks a button for: run every few minutes by `ebok worker` (or `ebok notify` from
cron). Every part is idempotent (dedupe keys, one delivery row per invoice), so running it twice, or on
several machines at once, sends nothing twice; a missed run is caught up by the next one.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Exists, OuterRef

from ebok.billing.models import Invoice, InvoiceKind
from ebok.common import clock
from ebok.company.selectors import company_or_none
from ebok.customers.models import Customer
from ebok.metering.models import Meter
from ebok.metering.routes import window_of
from ebok.notifications.models import ConsentEvent, ConsentKind
from ebok.notifications.outbox import messages_requeue
from ebok.notifications.services import invoices_deliver_pending, notify
from ebok.payments.selectors import settlement_for_customer
from ebok.readings.models import Reading, Status

log = logging.getLogger(__name__)

# A reading-window message still goes out this many days after the window opened (a missed run).
WINDOW_CATCH_UP_DAYS = 3


def _customers_who_ever_consented(kind: str):
    ids = ConsentEvent.objects.filter(kind=kind, given=True).values("customer_id")
    return Customer.objects.filter(pk__in=ids).order_by("pk")


def _has_unread_meter(customer: Customer, *, since: dt.date) -> bool:
    """Whether a meter of the customer in service has no reading in force since `since`.

    A refused reading doesn't count (the customer still has to read the meter), and a reading of one
    address doesn't excuse another; a customer without meters has nothing to read.
    """
    read = Reading.objects.filter(
        meter=OuterRef("pk"), date__gte=since, status__in=[Status.ACCEPTED, Status.HELD]
    )
    return (
        Meter.objects.filter(service_point__customer=customer, removed_on__isnull=True)
        .filter(~Exists(read))
        .exists()
    )


def reading_window_notify(today: dt.date) -> int:
    """When a reading window opens: a reminder to everyone who asked for one and hasn't read their meter yet."""
    company = company_or_none()
    window = window_of(today, company) if company else None
    if window is None or (today - window.start).days > WINDOW_CATCH_UP_DAYS:
        return 0
    count = 0
    for customer in _customers_who_ever_consented(ConsentKind.READING_WINDOW).iterator(chunk_size=500):
        if not _has_unread_meter(customer, since=window.start):
            continue
        count += len(
            notify(
                customer=customer,
                kind=ConsentKind.READING_WINDOW,
                template="reading_window",
                context={"window": window},
                dedupe_key=f"window:{window.year}-{window.ordinal}:{customer.pk}",
            )
        )
    return count


def payment_due_notify(today: dt.date) -> int:
    """A reminder for every invoice falling due within EBOK_PAYMENT_DUE_NOTICE_DAYS that is not paid yet."""
    horizon = today + dt.timedelta(days=settings.EBOK_PAYMENT_DUE_NOTICE_DAYS)
    consenting = ConsentEvent.objects.filter(kind=ConsentKind.PAYMENT_DUE, given=True).values("customer_id")
    invoices = (
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE, due_date__gte=today, due_date__lte=horizon, customer_id__in=consenting
        )
        .select_related("customer")
        .order_by("customer_id", "due_date")
    )
    count = 0
    customer_id, open_items = None, {}
    for invoice in invoices.iterator(chunk_size=500):
        if invoice.customer_id != customer_id:  # one settlement per customer (invoices come by customer)
            customer_id = invoice.customer_id
            open_items = {item.invoice_id: item for item in settlement_for_customer(customer_id).open_items}
        item = open_items.get(invoice.pk)
        if item is None:
            continue  # paid
        count += len(
            notify(
                customer=invoice.customer,
                kind=ConsentKind.PAYMENT_DUE,
                template="payment_due",
                context={"invoice": invoice, "open_amount": item.open},
                dedupe_key=f"due:{invoice.pk}",
            )
        )
    return count


def run_scheduled(today: dt.date | None = None) -> dict[str, int]:
    """Everything periodic, each part on its own so that one failing doesn't stop the others."""
    today = today or clock.today()
    done: dict[str, int] = {}
    for name, job in (
        ("requeued", messages_requeue),
        ("invoices", invoices_deliver_pending),
        ("reading_window", lambda: reading_window_notify(today)),
        ("payment_due", lambda: payment_due_notify(today)),
    ):
        try:
            done[name] = job()
        except Exception:  # noqa: BLE001 - logged; the next run tries again
            log.exception("scheduled notifications: %s failed", name)
            done[name] = -1
    return done
