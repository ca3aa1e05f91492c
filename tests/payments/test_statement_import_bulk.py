"""A long statement is imported in one go with a few statements per table: the same payments, ledger entries,
audit entries and notices as one payment at a time, and nothing new when it comes again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ebok.audit.models import AuditEntry
from ebok.billing.services import invoice_issue
from ebok.common.actor import CLI, SYSTEM, Actor
from ebok.notifications.models import ConsentKind, ConsentMedium, Message
from ebok.notifications.services import consents_set
from ebok.payments.models import LedgerEntry, Payment
from ebok.payments.selectors import balance_for_customer
from ebok.payments.services import payments_notify_received
from ebok.payments.statements import BANK_FORMATS, statement_import
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db

# More transactions than SQLite takes parameters in one statement (999), so every lookup goes in parts.
ROUNDS = 250  # × 5 transactions


@pytest.fixture
def customers(tariff, today):
    first = factories.make_customer(code="700001", name="Jan Kowalski", email="jan@example.org")
    second = factories.make_customer(code="700002", name="Anna Nowak", email="anna@example.org")
    third = factories.make_customer(code="700003", name="Ewa Zielińska")
    point = factories.make_point(second, tariff.group, opening_date=dt.date(2025, 2, 28), has_sewage=False)
    meter = factories.make_meter(point, reading="0")
    reading_submit(actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 3, 31), source=Source.READER)
    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))
    assert invoice.number == "FV/2025/000001"
    return first, second, third


def _statement(rounds: int) -> bytes:
    """Per round: to Jan's individual account (naming Anna's invoice, which is not his), Anna's invoice
    number in the title, Ewa's customer code in the title, a gift from nobody, and a bank fee."""
    lines = [
        ":20:ST250410/001",
        ":25:/PL61109010140000071219812874",
        ":28C:00071/001",
        ":60F:C250409PLN000000010000,00",
    ]
    for n in range(rounds):
        for k, (amount, details) in enumerate(
            [
                ("100,00", "~20Oplata FV 2025 000001~2721102052970000000000700001~32JAN KOWALSKI"),
                ("52,27", "~20Faktura FV 2025 000001~32ANNA NOWAK~3810109010140000071200000001"),
                ("30,00", "~20za wode kod odbiorcy 700003~32EWA ZIELINSKA"),
                ("15,00", "~20darowizna~32NIEZNANY"),
            ]
        ):
            lines += [f":61:2504100410C{amount}NTRFNONREF//B{n:04d}{k}", f":86:020~00PRZELEW{details}"]
        lines += [f":61:2504100410D5,00NMSCNONREF//B{n:04d}9", ":86:073~00OPLATA~20prowizja"]
    lines += [":62F:C250410PLN000000010000,00", "-"]
    return "\r\n".join(lines).encode()


def test_a_long_statement_is_imported_in_one_go_with_the_right_ledger_and_audit(customers, cast):
    jan, anna, ewa = customers
    clerk = Actor(cast["office_clerk"], "backoffice", "192.0.2.7")

    report = statement_import(actor=clerk, raw=_statement(ROUNDS), fmt=BANK_FORMATS["mt940"])

    assert report.ok
    assert (report.transactions, report.imported, report.debits_skipped) == (5 * ROUNDS, 4 * ROUNDS, ROUNDS)
    assert (
        report.matched_by_account,
        report.matched_by_invoice,
        report.matched_by_code,
        report.unmatched,
    ) == (
        ROUNDS,
        ROUNDS,
        ROUNDS,
        ROUNDS,
    )
    assert report.total == D("197.27") * ROUNDS
    assert sorted(report.payment_ids) == sorted(Payment.objects.values_list("pk", flat=True))
    invoice = anna.invoices.get()
    assert balance_for_customer(jan) == D("-100.00") * ROUNDS
    assert balance_for_customer(anna) == invoice.total_gross - D("52.27") * ROUNDS
    assert balance_for_customer(ewa) == D("-30.00") * ROUNDS
    # One ledger entry per matched payment, of its amount; the invoice a payer named only if it is theirs.
    assert LedgerEntry.objects.filter(kind="payment").count() == 3 * ROUNDS
    assert all(e.amount == -e.payment.amount for e in LedgerEntry.objects.filter(kind="payment"))
    assert set(Payment.objects.filter(customer=anna).values_list("invoice", flat=True)) == {invoice.pk}
    assert set(Payment.objects.exclude(customer=anna).values_list("invoice", flat=True)) == {None}
    # One audit entry per payment, as the clerk, from where they were, with what payment_record writes.
    entries = AuditEntry.objects.filter(action="payment.recorded")
    assert entries.count() == 4 * ROUNDS
    assert set(entries.values_list("actor", "channel", "ip")) == {
        (cast["office_clerk"].pk, "backoffice", "192.0.2.7")
    }
    payment = Payment.objects.filter(customer=anna).first()
    entry = entries.get(object_id=str(payment.pk))
    assert (entry.object_type, entry.customer_id) == ("payments.payment", anna.pk)
    assert entry.data == {
        "amount": "52.27",
        "received_on": "2025-04-10",
        "title": "Faktura FV 2025 000001",
        "invoice": "FV/2025/000001",
        "matched": True,
    }
    assert (
        entries.get(object_id=str(Payment.objects.filter(customer=None).first().pk)).data["matched"] is False
    )


def test_the_same_long_statement_again_changes_nothing(customers):
    actor = CLI
    statement_import(actor=actor, raw=_statement(ROUNDS), fmt=BANK_FORMATS["mt940"])
    before = (Payment.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count())

    again = statement_import(actor=actor, raw=_statement(ROUNDS), fmt=BANK_FORMATS["mt940"])

    assert (again.imported, again.already_imported, again.payment_ids) == (0, 4 * ROUNDS, [])
    assert (Payment.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count()) == before


def test_a_statement_that_repeats_a_transaction_imports_it_once(customers):
    raw = b"date;amount;title;reference\n2025-04-10;10,00;kod 700003;TX-1\n2025-04-10;10,00;kod 700003;TX-1\n"

    report = statement_import(actor=CLI, raw=raw, fmt=BANK_FORMATS["csv"])

    assert (report.imported, report.already_imported) == (1, 1)
    assert Payment.objects.count() == 1


def test_each_matched_payment_is_notified_once_by_the_media_its_customer_consented_to(
    customers, django_capture_on_commit_callbacks
):
    jan, anna, _ewa = customers
    consents_set(
        actor=Actor(None, "portal"),
        customer=jan,
        wanted={(ConsentKind.PAYMENT_RECEIVED, ConsentMedium.EMAIL): True},
        channel="portal",
    )
    consents_set(  # given, then withdrawn: nothing
        actor=Actor(None, "portal"),
        customer=anna,
        wanted={(ConsentKind.PAYMENT_RECEIVED, ConsentMedium.EMAIL): True},
        channel="portal",
    )
    consents_set(
        actor=Actor(None, "portal"),
        customer=anna,
        wanted={(ConsentKind.PAYMENT_RECEIVED, ConsentMedium.EMAIL): False},
        channel="portal",
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = statement_import(actor=CLI, raw=_statement(3), fmt=BANK_FORMATS["mt940"])
    with django_capture_on_commit_callbacks(execute=True):
        statement_import(actor=CLI, raw=_statement(3), fmt=BANK_FORMATS["mt940"])

    messages = Message.objects.filter(kind=ConsentKind.PAYMENT_RECEIVED)
    assert sorted(messages.values_list("customer", "to")) == [(jan.pk, "jan@example.org")] * 3
    assert {m.dedupe_key for m in messages} == {
        f"payment:{pk}:email" for pk in Payment.objects.filter(customer=jan).values_list("pk", flat=True)
    }
    # The worker runs a task twice (a retry): the notices are not sent again.
    assert payments_notify_received(payment_ids=report.payment_ids) == 0
    assert messages.count() == 3


def test_an_impossible_date_refuses_the_statement_with_its_line_number(customers):
    raw = _statement(2).replace(
        b":61:2504100410C30,00NTRFNONREF//B00012", b":61:2513100410C30,00NTRFNONREF//B00012"
    )

    report = statement_import(actor=CLI, raw=raw, fmt=BANK_FORMATS["mt940"])

    assert report.errors == [(19, "not a date: ':61:2513100410C30,00NTRFNONREF//B00012'")]
    assert Payment.objects.count() == 0
