"""Recording payments. Each payment of a known customer is one ledger entry; nothing is ever overwritten.

One payment (`payment_record`: a clerk, the API) or a whole bank statement at once (`payments_record_many`):
the same rows either way, the second written with a few set-based statements instead of some per payment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ebok.audit.models import AuditEntry
from ebok.audit.services import audit_log
from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.common.bulk import in_chunks, insert_rows
from ebok.customers.models import Customer
from ebok.payments.models import EntryKind, LedgerEntry, Payment, PaymentMethod

# Invoice numbers as printed (FV/2026/000123, KOR/2026/000007); banks often turn "/" into spaces or "-".
_NUMBER_IN_TITLE = re.compile(r"\b([A-Z]{2,4})[/\s\-_.]?(\d{4})[/\s\-_.]?(\d{1,8})\b", re.IGNORECASE)
# Payments per background task that tells their customers the money arrived.
NOTIFY_BATCH = 1000


@dataclass(frozen=True, slots=True)
class NamedInvoice:
    pk: int
    number: str
    customer_id: int


class InvoicesNamedInTitles:
    """The invoices that transfer titles name, looked up for many titles at once (a bank statement).

    `find(title)` is the rule of billing-rules §8: the first number in the title, in the order written,
    that is an existing invoice (of the customer, when one is given)."""

    def __init__(self, titles: Iterable[str]):
        self._numbers = {title: _numbers_in(title) for title in titles}
        wanted = {(int(year), int(number)) for found in self._numbers.values() for _p, year, number in found}
        self._invoices: dict[tuple[int, int], list[NamedInvoice]] = {}
        years = sorted({year for year, _number in wanted})
        for sequences in in_chunks(sorted({number for _year, number in wanted})):
            rows = (
                Invoice.objects.filter(year__in=years, sequence__in=sequences)
                .order_by(*Invoice._meta.ordering)  # of two invoices under one number, the one .first() gave
                .values_list("year", "sequence", "pk", "number", "customer_id")
            )
            for year, sequence, pk, number, customer_id in rows:
                if (year, sequence) in wanted:
                    self._invoices.setdefault((year, sequence), []).append(
                        NamedInvoice(pk, number, customer_id)
                    )

    def find(self, title: str, customer_id: int | None = None) -> NamedInvoice | None:
        numbers = self._numbers[title] if title in self._numbers else _numbers_in(title)
        for prefix, year, number in numbers:
            for invoice in self._invoices.get((int(year), int(number)), ()):
                # As number__istartswith=prefix (the prefix is ASCII letters).
                if invoice.number[: len(prefix)].upper() == prefix.upper() and (
                    customer_id is None or invoice.customer_id == customer_id
                ):
                    return invoice
        return None


def _numbers_in(title: str | None) -> list[tuple[str, str, str]]:
    return _NUMBER_IN_TITLE.findall(title or "") if title else []


def find_invoice_in_title(title: str, customer: Customer | None = None) -> Invoice | None:
    """The invoice a payer named in the transfer title, if it exists (and belongs to the customer)."""
    found = InvoicesNamedInTitles([title]).find(title, customer.pk if customer is not None else None)
    return Invoice.objects.select_related("customer").get(pk=found.pk) if found is not None else None


def _book(payment: Payment) -> None:
    LedgerEntry.objects.create(
        customer=payment.customer,
        kind=EntryKind.PAYMENT,
        amount=-payment.amount,
        booked_on=payment.received_on,
        payment=payment,
        created_at=clock.now(),
    )


def _audit_data(
    *, amount: Decimal, received_on: dt.date, title: str, invoice: str | None, matched: bool
) -> dict:
    return {
        "amount": str(amount),
        "received_on": received_on.isoformat(),
        "title": title,
        "invoice": invoice,
        "matched": matched,
    }


def _notify_after_commit(payment: Payment) -> None:
    from ebok.notifications.services import notify_payment_received

    transaction.on_commit(lambda: notify_payment_received(payment))


def _valid_amount(amount: Decimal) -> Decimal:
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Enter an amount greater than zero, in złoty and grosze.")})
    return amount


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
    amount = _valid_amount(amount)
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
        data=_audit_data(
            amount=amount,
            received_on=received_on,
            title=payment.title,
            invoice=invoice.number if invoice else None,
            matched=customer is not None,
        ),
    )
    return payment


@dataclass(frozen=True, slots=True)
class ReceivedPayment:
    """One payment of a bank statement, its customer already matched (None: unmatched, for a clerk)."""

    amount: Decimal
    received_on: dt.date
    customer_id: int | None
    title: str = ""
    counterparty_name: str = ""
    counterparty_account: str = ""
    target_account: str = ""
    bank_reference: str | None = None


@transaction.atomic
def payments_record_many(*, actor: Actor, received: Sequence[ReceivedPayment]) -> list[int]:
    """Record the payments of a bank statement; returns their ids. The rows are those `payment_record` writes
    for each (the payment, its ledger entry if matched, its audit entry), written a table at a time; the
    customers are told in background tasks after commit.

    The caller has left out what was imported before (`bank_references_known`) and holds
    `statement_import`'s lock, so no bank reference here is taken: a clash is a bug and rolls back everything.
    """
    now = clock.now()
    invoices = InvoicesNamedInTitles(r.title for r in received if r.customer_id is not None)
    found = [invoices.find(r.title, r.customer_id) if r.customer_id is not None else None for r in received]
    payments = [
        {
            "customer_id": r.customer_id,
            "amount": _valid_amount(r.amount),
            "received_on": r.received_on,
            "method": PaymentMethod.TRANSFER.value,
            "title": r.title[:300],
            "counterparty_name": r.counterparty_name[:200],
            "counterparty_account": r.counterparty_account,
            "target_account": r.target_account,
            "invoice_id": invoice.pk if invoice is not None else None,
            "bank_reference": r.bank_reference or None,
            "idempotency_key": None,
            "created_at": now,
            "created_by_id": actor.user_id,
        }
        for r, invoice in zip(received, found, strict=True)
    ]
    ids = insert_rows(Payment, payments)
    matched = [(pk, p) for pk, p in zip(ids, payments, strict=True) if p["customer_id"] is not None]
    insert_rows(
        LedgerEntry,
        [
            {
                "customer_id": p["customer_id"],
                "kind": EntryKind.PAYMENT.value,
                "amount": -p["amount"],
                "booked_on": p["received_on"],
                "due_date": None,
                "invoice_id": None,
                "payment_id": pk,
                "note": "",
                "created_at": now,
            }
            for pk, p in matched
        ],
        keys=False,
    )
    # What audit_log writes for each payment.
    insert_rows(
        AuditEntry,
        [
            {
                "at": now,
                "actor_id": actor.user_id,
                "channel": actor.channel,
                "action": "payment.recorded",
                "object_type": Payment._meta.label_lower,
                "object_id": str(pk),
                "customer_id": p["customer_id"],
                "data": _audit_data(
                    amount=p["amount"],
                    received_on=p["received_on"],
                    title=p["title"],
                    invoice=invoice.number if invoice is not None else None,
                    matched=p["customer_id"] is not None,
                ),
                "ip": actor.ip,
            }
            for pk, p, invoice in zip(ids, payments, found, strict=True)
        ],
        keys=False,
    )
    if matched:
        notify = [pk for pk, _p in matched]
        transaction.on_commit(lambda: _notify_in_background(notify))
    return ids


def _notify_in_background(payment_ids: list[int]) -> None:
    from ebok.payments.tasks import notify_payments_received

    for start in range(0, len(payment_ids), NOTIFY_BATCH):
        notify_payments_received.enqueue(payment_ids[start : start + NOTIFY_BATCH])


def payments_notify_received(*, payment_ids: Sequence[int]) -> int:
    """Tell the customers of these payments that their money arrived, by the media they consented to, once
    (the notices are deduplicated by payment); returns how many messages were queued."""
    from ebok.notifications.models import ConsentEvent, ConsentKind
    from ebok.notifications.services import notify_payment_received

    # Only customers who ever gave the consent are worth a look; notify() checks the current state of each.
    ever = ConsentEvent.objects.filter(kind=ConsentKind.PAYMENT_RECEIVED, given=True).values("customer_id")
    queued = 0
    for chunk in in_chunks(payment_ids):
        payments = (
            Payment.objects.filter(pk__in=chunk, customer_id__in=ever)
            .select_related("customer")
            .order_by("pk")
        )
        with transaction.atomic():
            for payment in payments:
                queued += len(notify_payment_received(payment))
    return queued


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
