"""Recording payments. Each payment of a known customer is one ledger entry; nothing is ever overwritten."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ebok.audit.services import audit_log
from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.customers.models import Customer
from ebok.payments.models import EntryKind, LedgerEntry, Payment, PaymentMethod

# Invoice numbers as printed (FV/2026/000123, KOR/2026/000007); banks often turn "/" into spaces or "-".
_NUMBER_IN_TITLE = re.compile(r"\b([A-Z]{2,4})[/\s\-_.]?(\d{4})[/\s\-_.]?(\d{1,8})\b", re.IGNORECASE)


def find_invoice_in_title(title: str, customer: Customer | None = None) -> Invoice | None:
    """The invoice a payer named in the transfer title, if it exists (and belongs to the customer)."""
    for prefix, year, number in _NUMBER_IN_TITLE.findall(title or ""):
        candidates = Invoice.objects.filter(year=int(year), sequence=int(number), number__istartswith=prefix)
        if customer is not None:
            candidates = candidates.filter(customer=customer)
        invoice = candidates.first()
        if invoice is not None:
            return invoice
    return None


def _book(payment: Payment) -> None:
    LedgerEntry.objects.create(
        customer=payment.customer,
        kind=EntryKind.PAYMENT,
        amount=-payment.amount,
        booked_on=payment.received_on,
        payment=payment,
        created_at=clock.now(),
    )


def _notify_after_commit(payment: Payment) -> None:
    from ebok.notifications.services import notify_payment_received

    transaction.on_commit(lambda: notify_payment_received(payment))


@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    amount: Decimal,
    received_on: dt.date,
    customer: Customer | None = None,
    title: str = "",
    method: str = PaymentMethod.TRANSFER,
    invoice: Invoice | None = None,
    counterparty_name: str = "",
    counterparty_account: str = "",
    target_account: str = "",
    bank_reference: str | None = None,
    idempotency_key: str | None = None,
) -> Payment:
    """Record money received. The same bank reference or idempotency key again returns the first payment."""
    bank_reference = bank_reference or None
    idempotency_key = idempotency_key or None
    for field, key in (("bank_reference", bank_reference), ("idempotency_key", idempotency_key)):
        if key:
            existing = Payment.objects.filter(**{field: key}).first()
            if existing is not None:
                return existing
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Enter an amount greater than zero, in złoty and grosze.")})
    if invoice is not None and customer is not None and invoice.customer_id != customer.pk:
        raise ValidationError({"invoice": _("This invoice belongs to another customer.")})
    if invoice is None and customer is not None:
        invoice = find_invoice_in_title(title, customer)
    payment = Payment(
        customer=customer,
        amount=amount,
        received_on=received_on,
        method=method,
        title=title[:300],
        counterparty_name=counterparty_name[:200],
        counterparty_account=counterparty_account,
        target_account=target_account,
        invoice=invoice,
        bank_reference=bank_reference,
        idempotency_key=idempotency_key,
        created_at=clock.now(),
        created_by=actor.user,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        existing = Payment.objects.filter(bank_reference=bank_reference).first() if bank_reference else None
        existing = existing or (
            Payment.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        )
        if existing is None:
            raise
        return existing
    if customer is not None:
        _book(payment)
        _notify_after_commit(payment)
    audit_log(
        actor=actor,
        action="payment.recorded",
        obj=payment,
        customer_id=customer.pk if customer else None,
        data={
            "amount": str(amount),
            "received_on": received_on.isoformat(),
            "title": title[:300],
            "invoice": invoice.number if invoice else None,
            "matched": customer is not None,
        },
    )
    return payment


@transaction.atomic
def payment_assign(*, actor: Actor, payment: Payment, customer: Customer) -> Payment:
    """Give an unmatched payment its customer (a clerk's decision); books it on the ledger."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.customer_id is not None:
        raise ValidationError(_("This payment is already assigned to a customer."))
    payment.customer = customer
    if payment.invoice is None:
        payment.invoice = find_invoice_in_title(payment.title, customer)
    payment.save(update_fields=["customer", "invoice"])
    _book(payment)
    _notify_after_commit(payment)
    audit_log(
        actor=actor,
        action="payment.assigned",
        obj=payment,
        customer_id=customer.pk,
        data={"customer": customer.code, "amount": str(payment.amount)},
    )
    return payment


@transaction.atomic
def opening_balance_record(
    *, actor: Actor, customer: Customer, amount: Decimal, on: dt.date, note: str = ""
) -> LedgerEntry:
    """The balance brought over from the utility's previous system (positive: owed; negative: credit)."""
    entry = LedgerEntry.objects.create(
        customer=customer,
        kind=EntryKind.OPENING,
        amount=amount,
        booked_on=on,
        due_date=on,
        note=note or _("Opening balance"),
        created_at=clock.now(),
    )
    audit_log(
        actor=actor,
        action="ledger.opening_balance",
        obj=entry,
        customer_id=customer.pk,
        data={"amount": str(amount), "on": on.isoformat()},
    )
    return entry
