"""Reads of customers for the staff: one search box over codes, names, addresses, meters, NIP and accounts."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ebok.accounts.models import CustomerAccess
from ebok.customers.models import ChangeRequest, ChangeRequestStatus, Customer
from ebok.metering.models import Meter, ServicePoint
from ebok.payments.models import LedgerEntry
from ebok.payments.selectors import balance_for_customer, ledger_for_customer
from ebok.readings.models import Reading

MONEY = DecimalField(max_digits=15, decimal_places=2)
# A run of digits this long is looked for in the individual bank accounts (a shorter one would match most
# of the 26-digit accounts, which share the utility's prefix).
MIN_ACCOUNT_DIGITS = 10
_SEPARATORS = re.compile(r"[\s-]+")


def with_balance(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Customers annotated with `balance`: Σ of their ledger (as balance_for_customer), in the same query."""
    total = (
        LedgerEntry.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return customers.annotate(
        balance=Coalesce(Subquery(total, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)
    )


def _icontains(field: str, term: str) -> Q:
    """`field__icontains=term`, also for Polish letters on SQLite, whose LIKE ignores the case of ASCII
    letters only: a word with other letters is also looked for in lower case, upper case and capitalised."""
    variants = {term} if term.isascii() else {term, term.lower(), term.upper(), term.capitalize()}
    q = Q()
    for variant in sorted(variants):
        q |= Q(**{f"{field}__icontains": variant})
    return q


def _term(term: str) -> Q:
    """One word of the query: it must appear in one of the customer's fields, addresses or meters."""
    points = ServicePoint.objects.filter(customer=OuterRef("pk")).filter(
        _icontains("street", term) | _icontains("city", term) | _icontains("postal_code", term)
    )
    meters = Meter.objects.filter(service_point__customer=OuterRef("pk")).filter(
        _icontains("serial_number", term)
    )
    q = (
        Q(code__icontains=term)
        | _icontains("name", term)
        | _icontains("street", term)
        | _icontains("city", term)
        | Q(postal_code__icontains=term)
        | Q(Exists(points))
        | Q(Exists(meters))
    )
    digits = term.replace("-", "")
    if digits.isdigit():
        q |= Q(nip__icontains=digits)
    return q


def customer_search(query: str) -> QuerySet[Customer]:
    """Customers matching `query`, by code, ordered by code, each annotated with `balance`.

    Every word must be found (case-insensitively) in the code, name, correspondence address, a service
    point's address or a meter's serial number (of any meter, also removed ones) or the NIP; the whole query
    with spaces and dashes removed (and a leading "PL") is also looked for in the NIP and — from
    MIN_ACCOUNT_DIGITS digits on — in the individual bank account, so a number copied from a statement is
    found. An empty query finds nothing. Only portable lookups: it runs alike on SQLite and PostgreSQL.
    """
    words = query.split()
    if not words:
        return Customer.objects.none()
    condition = Q()
    for word in words:
        condition &= _term(word)
    compact = _SEPARATORS.sub("", query)
    if compact[:2].upper() == "PL":
        compact = compact[2:]
    if compact.isdigit():
        condition |= Q(nip__icontains=compact) | Q(code=compact)
        if len(compact) >= MIN_ACCOUNT_DIGITS:
            condition |= Q(bank_account__icontains=compact)
    points = Prefetch("service_points", queryset=ServicePoint.objects.order_by("id"))
    return with_balance(Customer.objects.filter(condition)).prefetch_related(points).order_by("code")


def customer_by_exact_code(query: str) -> Customer | None:
    """The customer whose code is exactly the query (spaces around ignored): search goes straight there."""
    code = query.strip()
    if not code.isdigit():
        return None
    return Customer.objects.filter(code=code).first()


def change_requests_pending() -> QuerySet[ChangeRequest]:
    """Requests waiting for staff, longest waiting first, with their customer and who asked."""
    return (
        ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING)
        .select_related("customer", "requested_by")
        .order_by("created_at", "id")
    )


def change_requests_for_customer(customer: Customer | int) -> QuerySet[ChangeRequest]:
    return (
        ChangeRequest.objects.filter(customer=customer)
        .select_related("requested_by", "decided_by")
        .order_by("-created_at", "-id")
    )


# The staff's customer page: what the domain apps' selectors don't offer per customer.


def readings_for_customer(customer: Customer | int) -> QuerySet[Reading]:
    """Every reading of every meter of the customer, newest first, with its meter and who entered it."""
    return (
        Reading.objects.filter(meter__service_point__customer=customer)
        .select_related("meter", "entered_by")
        .order_by("-date", "-id")
    )


def portal_accounts_for_customer(customer: Customer | int) -> QuerySet[CustomerAccess]:
    """The portal accounts that may see this customer's records."""
    return (
        CustomerAccess.objects.filter(customer=customer).select_related("user").order_by("granted_at", "id")
    )


def ledger_with_running_balance(customer: Customer, *, limit: int | None = None) -> list[LedgerEntry]:
    """The ledger newest first (the latest `limit` entries), each with `balance_after`: the balance once it
    was booked. Two queries whatever the length of the ledger: the entries and today's balance."""
    entries = ledger_for_customer(customer).reverse()
    entries = list(entries[:limit] if limit is not None else entries)
    balance = balance_for_customer(customer)
    for entry in entries:
        entry.balance_after = balance
        balance -= entry.amount
    return entries
