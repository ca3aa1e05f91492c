"""Bank statements (MT940 and CSV): payments in, matched to customers, imported all or nothing.

Matching (billing-rules §8): the individual (virtual) account the money was sent to identifies the
customer; otherwise an invoice number in the title; otherwise a customer code in the title. What cannot
be matched is recorded as an unmatched payment for a clerk to assign. Every transaction gets a stable
reference, so importing the same statement twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

import mt940
from django.db import transaction

from ebok.common.actor import Actor
from ebok.common.parsing import csv_rows, parse_date, parse_decimal
from ebok.customers.models import Customer
from ebok.payments.models import Payment
from ebok.payments.services import find_invoice_in_title, payment_record

_NRB = re.compile(r"(?<!\d)(?:PL)?(\d{26})(?!\d)")
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_MT940_TAG = re.compile(r"^:(\d{2}[A-Z]?):")
_MT940_61 = re.compile(r"^:61:\d{6}(\d{4})?[CD]R?[A-Z]?\d+,\d{0,2}")


@dataclass(frozen=True)
class BankFormat:
    """How one bank writes its statements. Polish banks differ in the :86: separator, the encoding and
    the place of the virtual account; `virtual_account_subfield` None means: look for any of our
    customers' accounts in the details, except the payer's own account (subfield 38)."""

    kind: str = "mt940"  # or "csv"
    encoding: str = "utf-8"
    separator: str = "~"
    title_subfields: tuple[str, ...] = ("20", "21", "22", "23", "24", "25")
    name_subfields: tuple[str, ...] = ("32", "33")
    payer_account_subfield: str = "38"
    virtual_account_subfield: str | None = None


BANK_FORMATS = {
    "mt940": BankFormat(),
    "mt940-cp852": BankFormat(encoding="cp852"),
    "mt940-lt": BankFormat(separator="<"),
    "mt940-cp852-lt": BankFormat(encoding="cp852", separator="<"),
    "mt940-caret": BankFormat(separator="^"),
    "csv": BankFormat(kind="csv"),
    "csv-cp1250": BankFormat(kind="csv", encoding="cp1250"),
}


@dataclass(frozen=True)
class StatementLine:
    reference: str
    booked_on: dt.date
    amount: Decimal
    title: str
    counterparty_name: str = ""
    counterparty_account: str = ""
    target_account: str = ""
    # Other numbers in the details that may be the virtual account (checked against our customers).
    account_candidates: tuple[str, ...] = ()


@dataclass
class StatementReport:
    transactions: int = 0
    imported: int = 0
    already_imported: int = 0
    matched: int = 0
    matched_by_account: int = 0  # the individual (virtual) account the money was sent to
    matched_by_invoice: int = 0  # an invoice number in the title
    matched_by_code: int = 0  # a customer code in the title
    unmatched: int = 0
    debits_skipped: int = 0
    total: Decimal = Decimal("0.00")
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    payment_ids: list[int] = field(default_factory=list)  # the payments imported now

    @property
    def ok(self) -> bool:
        return not self.errors


class StatementError(ValueError):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message
        super().__init__(f"line {line}: {message}")


# --- parsing --------------------------------------------------------------------------------------------------


def _subfields(details: str, separator: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in details.replace("\n", "").split(separator)[1:]:
        if len(chunk) >= 2 and chunk[:2].isdigit():
            parts[chunk[:2]] = parts.get(chunk[:2], "") + chunk[2:]
    return parts


def _check_mt940(text: str) -> None:
    """A structural check with line numbers, because a half-understood statement must import nothing."""
    seen = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MT940_TAG.match(line)
        if match:
            seen.add(match.group(1))
            if match.group(1) == "61" and not _MT940_61.match(line):
                raise StatementError(number, f"malformed :61: transaction line: {line[:60]!r}")
        elif (line.startswith(":") or (number == 1 and line.strip())) and not line.startswith(("{", "-")):
            raise StatementError(number, f"not an MT940 tag: {line[:60]!r}")
    for tag in ("20", "25", "60F", "62F"):
        if tag not in seen:
            raise StatementError(1, f"the statement has no :{tag}: field")


def parse_mt940(text: str, fmt: BankFormat) -> list[StatementLine]:
    _check_mt940(text)
    statements = mt940.models.Transactions()
    try:
        statements.parse(text)
    except Exception as error:  # the parser's errors carry no line numbers; report what it says
        raise StatementError(1, f"the MT940 parser refused the file: {error}") from None
    own_account = (statements.data.get("account_identification") or "").lstrip("/")
    statement_id = f"{own_account}:{statements.data.get('transaction_reference')}:{statements.data.get('statement_number')}"
    lines = []
    for index, tx in enumerate(statements, start=1):
        data = tx.data
        amount = data["amount"].amount
        details = data.get("transaction_details") or ""
        sub = _subfields(details, fmt.separator)
        # Banks cut the title into fixed-width subfields, so the parts are joined without spaces; an
        # unstructured :86: is wrapped at a fixed width the same way.
        title = (
            "".join(sub.get(code, "") for code in fmt.title_subfields).strip()
            or details.replace("\n", "").strip()
        )
        payer = sub.get(fmt.payer_account_subfield, "").removeprefix("PL")
        target, candidates = "", ()
        if fmt.virtual_account_subfield:
            target = re.sub(r"\D", "", sub.get(fmt.virtual_account_subfield, ""))
        else:
            texts = [title] + [v for k, v in sub.items() if k != fmt.payer_account_subfield]
            candidates = tuple(
                dict.fromkeys(n for t in texts for n in _NRB.findall(t.replace(" ", "")) if n != payer)
            )
        lines.append(
            StatementLine(
                reference=f"mt940:{statement_id}:{index}:{data.get('bank_reference') or ''}",
                booked_on=dt.date(data["date"].year, data["date"].month, data["date"].day),
                amount=amount,
                title=title,
                counterparty_name=" ".join(sub.get(code, "") for code in fmt.name_subfields).strip(),
                counterparty_account=payer,
                target_account=target,
                account_candidates=candidates,
            )
        )
    return lines


CSV_COLUMNS = [
    "date",
    "amount",
    "title",
    "counterparty_name",
    "counterparty_account",
    "target_account",
    "reference",
]


def parse_csv(text: str) -> list[StatementLine]:
    reader = csv_rows(text)
    try:
        return _parse_csv(reader)
    except csv.Error as error:  # e.g. a cell longer than the csv module's limit (128 kB)
        raise StatementError(reader.line_num or 1, f"not a CSV file we can read: {error}") from None


def _parse_csv(reader: csv.DictReader) -> list[StatementLine]:
    missing = {"date", "amount", "title"} - set(reader.fieldnames or [])
    if missing:
        raise StatementError(1, f"missing columns: {', '.join(sorted(missing))}")
    lines = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        try:
            booked_on = parse_date(row["date"] or "")
        except ValueError:
            raise StatementError(number, f"not a date: {row['date']!r}") from None
        try:
            amount = parse_decimal(row["amount"] or "")
        except ValueError:
            raise StatementError(number, f"not an amount: {row['amount']!r}") from None
        if amount != amount.quantize(Decimal("0.01")):
            raise StatementError(number, f"not an amount in grosze: {row['amount']!r}")
        raw = "|".join((row.get(c) or "").strip() for c in CSV_COLUMNS)
        reference = (row.get("reference") or "").strip()
        if not reference:
            # Without the bank's reference, two identical rows (two equal transfers on one day) are still two
            # payments: the second gets a suffix, the same on every import of the file.
            reference = hashlib.sha256(raw.encode()).hexdigest()[:32]
            seen[reference] = seen.get(reference, 0) + 1
            if seen[reference] > 1:
                reference = f"{reference}#{seen[reference]}"
        lines.append(
            StatementLine(
                reference=f"csv:{reference}",
                booked_on=booked_on,
                amount=amount,
                title=(row["title"] or "").strip(),
                counterparty_name=(row.get("counterparty_name") or "").strip(),
                counterparty_account=re.sub(r"\D", "", row.get("counterparty_account") or ""),
                target_account=re.sub(r"\D", "", row.get("target_account") or ""),
            )
        )
    return lines


def parse_statement(raw: bytes, fmt: BankFormat) -> list[StatementLine]:
    try:
        text = raw.decode(fmt.encoding)
    except UnicodeDecodeError as error:
        raise StatementError(raw[: error.start].count(b"\n") + 1, f"not {fmt.encoding} text") from None
    text = text.lstrip("\ufeff")
    if "\x00" in text:  # not text at all (and PostgreSQL cannot store the character)
        raise StatementError(text.count("\n", 0, text.index("\x00")) + 1, "a NUL character: not a text file")
    return parse_csv(text) if fmt.kind == "csv" else parse_mt940(text, fmt)


# --- matching and importing -------------------------------------------------------------------------------


class MatchedBy(StrEnum):
    ACCOUNT = "account"
    INVOICE = "invoice"
    CODE = "code"


def match_customer_how(line: StatementLine) -> tuple[Customer | None, MatchedBy | None]:
    """The customer a transaction is from and what identified them (billing-rules §8 order)."""
    accounts = [a[-26:] for a in (line.target_account, *line.account_candidates) if len(a) >= 26]
    if accounts:
        by_account = {c.bank_account: c for c in Customer.objects.filter(bank_account__in=accounts)}
        for account in accounts:
            if account in by_account:
                return by_account[account], MatchedBy.ACCOUNT
    invoice = find_invoice_in_title(line.title)
    if invoice is not None:
        return invoice.customer, MatchedBy.INVOICE
    codes = set(_CODE.findall(line.title))
    customers = list(Customer.objects.filter(code__in=codes)[:2]) if codes else []
    return (customers[0], MatchedBy.CODE) if len(customers) == 1 else (None, None)


def match_customer(line: StatementLine) -> Customer | None:
    return match_customer_how(line)[0]


def statement_import(*, actor: Actor, raw: bytes, fmt: BankFormat) -> StatementReport:
    """Import a statement; any malformed line refuses the whole file (nothing imported)."""
    report = StatementReport()
    try:
        lines = parse_statement(raw, fmt)
    except StatementError as error:
        report.errors.append((error.line, error.message))
        return report
    with transaction.atomic():
        for line in lines:
            report.transactions += 1
            if line.amount <= 0:
                report.debits_skipped += 1
                continue
            if Payment.objects.filter(bank_reference=line.reference).exists():
                report.already_imported += 1
                continue
            customer, how = match_customer_how(line)
            payment = payment_record(
                actor=actor,
                amount=line.amount,
                received_on=line.booked_on,
                customer=customer,
                title=line.title,
                counterparty_name=line.counterparty_name,
                counterparty_account=line.counterparty_account[:34],
                target_account=(line.target_account or next(iter(line.account_candidates), ""))[:34],
                bank_reference=line.reference,
            )
            report.imported += 1
            report.total += line.amount
            report.payment_ids.append(payment.pk)
            if customer is None:
                report.unmatched += 1
            else:
                report.matched += 1
                field_name = f"matched_by_{how}"
                setattr(report, field_name, getattr(report, field_name) + 1)
    return report
