"""Bank statements (MT940 and CSV): payments in, matched to customers, imported all or nothing.

Matching (billing-rules §8): the individual (virtual) account the money was sent to identifies the
customer; otherwise an invoice number in the title; otherwise a customer code in the title. What cannot
be matched is recorded as an unmatched payment for a clerk to assign. Every transaction gets a stable
reference, so importing the same statement twice changes nothing. A statement is matched and written as a
whole, a few queries per table however long it is (100,000 transactions take seconds, docs/performance.md).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

import mt940
from django.db import connection, transaction

from ebok.common.actor import Actor
from ebok.common.parsing import csv_rows, parse_date, parse_decimal
from ebok.payments.selectors import bank_references_known, customer_ids_by_account, customer_ids_by_code
from ebok.payments.services import InvoicesNamedInTitles, ReceivedPayment, payments_record_many

_DIGITS = re.compile(
    r"\d{26,}"
)  # a run of exactly 26 of them is an account number (NRB), "PL" in front or not
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_MT940_TAG = re.compile(r"^:(\d{2}[A-Z]?):")
_MT940_61 = re.compile(r"^:61:\d{6}(\d{4})?[CD]R?[A-Z]?\d+,\d{0,2}")
# The mt940 library's pattern of a :61: statement line, and its cap on the details of a transaction.
_STATEMENT_LINE = mt940.tags.TAG_BY_ID[61].re
_KNOWN_TAGS = {f"{tag:02d}" for tag in mt940.tags.TAG_BY_ID if isinstance(tag, int)}
_LEGACY_DETAILS = re.compile(r"(?:[\s\S]{0,65}\r?\n?){0,8}[\s\S]{0,65}")
_SUBFIELD: dict[str, re.Pattern[str]] = {}  # by separator
# pg_advisory_xact_lock key of statement imports (any constant no other lock uses).
IMPORT_LOCK_KEY = 940_0001


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
    """{"20": "Opłata za wodę", "32": "JAN KOWALSKI", …}: the numbered subfields of a :86: field; a subfield
    that comes twice is joined."""
    pattern = _SUBFIELD.get(separator)
    if pattern is None:
        sep = re.escape(separator)
        pattern = _SUBFIELD[separator] = re.compile(f"{sep}([^{sep}]{{2}})([^{sep}]*)")
    parts: dict[str, str] = {}
    for code, text in pattern.findall(details.replace("\n", "")):
        if code.isdigit():
            parts[code] = parts[code] + text if code in parts else text
    return parts


@dataclass(slots=True)
class _Field:
    tag: str  # "61", "28C", …
    line: int  # where it starts in the file
    lines: list[str]  # the first without its tag

    @property
    def value(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def text(self) -> str:
        """Its first line, for messages."""
        return f":{self.tag}:{self.lines[0]}"[:60]


def _mt940_fields(text: str) -> list[_Field]:
    """The fields of an MT940 file in order, each tag with its value, checked with line numbers as we go,
    because a half-understood statement must import nothing.

    Lines are split and cleaned as the mt940 library does, so that the values (and the bank references built
    from them) are the ones it gave: carriage returns, trailing blanks, empty lines and "-" lines go; the
    lines after a tag, and the lines of a tag the library does not know, continue its value.
    """
    fields: list[_Field] = []
    seen = set()
    for number, raw_line in enumerate(text.replace("\r", "").split("\n"), start=1):
        line = raw_line.rstrip()
        if line.startswith(":"):
            match = _MT940_TAG.match(line)
            if match is None:
                raise StatementError(number, f"not an MT940 tag: {line[:60]!r}")
            tag = match.group(1)
            seen.add(tag)
            if tag == "61" and not _MT940_61.match(line):
                raise StatementError(number, f"malformed :61: transaction line: {line[:60]!r}")
            if tag[:2] in _KNOWN_TAGS:
                fields.append(_Field(tag, number, [line[match.end() :]]))
                continue
        elif number == 1 and line.strip() and not line.startswith(("{", "-")):
            raise StatementError(number, f"not an MT940 tag: {line[:60]!r}")
        if fields and line and (line[-1] != "-" or line.strip() != "-"):
            fields[-1].lines.append(line)
    for tag in ("20", "25", "60F", "62F"):
        if tag not in seen:
            raise StatementError(1, f"the statement has no :{tag}: field")
    return fields


@dataclass
class _Transaction:
    booked_on: dt.date
    amount: Decimal
    bank_reference: str
    details: str | None = None


def _transaction(entry: _Field) -> _Transaction:
    """A :61: statement line, read with the mt940 library's own pattern of the field."""
    match = _STATEMENT_LINE.match(entry.value)
    if match is None:
        raise StatementError(entry.line, f"malformed :61: transaction line: {entry.text!r}")
    year, month, day, entry_month, entry_day, status, amount, reference = match.group(
        "year", "month", "day", "entry_month", "entry_day", "status", "amount", "bank_reference"
    )
    year, month, day = 2000 + int(year), int(month), int(day)
    if month == 2:  # the library's fix-up of a 30 February
        day = min(day, calendar.monthrange(year, 2)[1])
    try:
        booked_on = dt.date(year, month, day)
        if (entry_month or "").isdigit() and (entry_day or "").isdigit():
            dt.date(year, int(entry_month), int(entry_day))
    except ValueError:
        raise StatementError(entry.line, f"not a date: {entry.text!r}") from None
    try:
        value = Decimal(amount.replace(",", "."))
    except ArithmeticError:
        raise StatementError(entry.line, f"not an amount: {entry.text!r}") from None
    return _Transaction(
        booked_on=booked_on, amount=-value if status == "D" else value, bank_reference=reference or ""
    )


def parse_mt940(text: str, fmt: BankFormat) -> list[StatementLine]:
    """The transactions of an MT940 statement.

    The mt940 library reads the statement's own fields (account, reference, number, balances); the :61:
    and :86: fields of the transactions are read here, with the library's pattern and its rules, because
    building its objects for each of 100,000 transactions took most of an import's time. One difference:
    a :61: without its transaction type code (NTRF, …) is a transaction of its own; the library merged it
    into the next one and a payment was lost.
    """
    fields = _mt940_fields(text)
    statements = mt940.models.Transactions()
    try:
        statements.parse("\n".join(f":{f.tag}:{f.value}" for f in fields if f.tag not in ("61", "86")))
    except Exception as error:  # the parser's errors carry no line numbers; report what it says
        raise StatementError(1, f"the MT940 parser refused the file: {error}") from None
    transactions: list[_Transaction] = []
    for entry in fields:
        if entry.tag == "61":
            transactions.append(_transaction(entry))
        elif entry.tag == "86" and transactions:  # details before the first transaction belong to none
            details = _LEGACY_DETAILS.match(entry.value).group(0)  # at most 9 × 65 characters, as the library
            last = transactions[-1]
            last.details = details if last.details is None else f"{last.details}\n{details.strip()}"
    own_account = (statements.data.get("account_identification") or "").lstrip("/")
    statement_id = f"{own_account}:{statements.data.get('transaction_reference')}:{statements.data.get('statement_number')}"
    lines = []
    for index, tx in enumerate(transactions, start=1):
        details = tx.details or ""
        sub = _subfields(details, fmt.separator)
        # Banks cut the title into fixed-width subfields, so the parts are joined without spaces; an
        # unstructured :86: is wrapped at a fixed width the same way.
        title = (
            "".join([sub.get(code, "") for code in fmt.title_subfields]).strip()
            or details.replace("\n", "").strip()
        )
        payer = sub.get(fmt.payer_account_subfield, "").removeprefix("PL")
        target, candidates = "", ()
        if fmt.virtual_account_subfield:
            target = re.sub(r"\D", "", sub.get(fmt.virtual_account_subfield, ""))
        else:
            # "|" keeps the texts apart: a number never runs from one into the next.
            texts = "|".join([title, *(v for k, v in sub.items() if k != fmt.payer_account_subfield)])
            candidates = tuple(
                dict.fromkeys(
                    n for n in _DIGITS.findall(texts.replace(" ", "")) if len(n) == 26 and n != payer
                )
            )
        lines.append(
            StatementLine(
                reference=f"mt940:{statement_id}:{index}:{tx.bank_reference}",
                booked_on=tx.booked_on,
                amount=tx.amount,
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
    dates: dict[str, dt.date] = {}  # a statement has a few days, written the same way on every row
    for number, row in enumerate(reader, start=2):
        date = row["date"] or ""
        try:
            booked_on = dates[date] if date in dates else dates.setdefault(date, parse_date(date))
        except ValueError:
            raise StatementError(number, f"not a date: {row['date']!r}") from None
        try:
            amount = parse_decimal(row["amount"] or "")
        except ValueError:
            raise StatementError(number, f"not an amount: {row['amount']!r}") from None
        if amount != amount.quantize(Decimal("0.01")):
            raise StatementError(number, f"not an amount in grosze: {row['amount']!r}")
        reference = (row.get("reference") or "").strip()
        if not reference:
            # Without the bank's reference, two identical rows (two equal transfers on one day) are still two
            # payments: the second gets a suffix, the same on every import of the file.
            raw = "|".join((row.get(c) or "").strip() for c in CSV_COLUMNS)
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


def _accounts(line: StatementLine) -> list[str]:
    return [a[-26:] for a in (line.target_account, *line.account_candidates) if len(a) >= 26]


def match_customers(lines: Sequence[StatementLine]) -> list[tuple[int | None, MatchedBy | None]]:
    """The customer (id) each transaction is from and what identified them, in the order of billing-rules §8,
    for a whole statement with a few queries."""
    by_account = customer_ids_by_account(a for line in lines for a in _accounts(line))
    matches: list[tuple[int | None, MatchedBy | None]] = [(None, None)] * len(lines)
    rest = []
    for index, line in enumerate(lines):
        customer_id = next((by_account[a] for a in _accounts(line) if a in by_account), None)
        if customer_id is not None:
            matches[index] = (customer_id, MatchedBy.ACCOUNT)
        else:
            rest.append(index)
    invoices = InvoicesNamedInTitles(lines[index].title for index in rest)
    codes: dict[int, set[str]] = {}
    for index in rest:
        invoice = invoices.find(lines[index].title)
        if invoice is not None:
            matches[index] = (invoice.customer_id, MatchedBy.INVOICE)
        else:
            codes[index] = set(_CODE.findall(lines[index].title))
    by_code = customer_ids_by_code(code for found in codes.values() for code in found)
    for index, found in codes.items():
        customers = {by_code[code] for code in found if code in by_code}
        if len(customers) == 1:  # two customers' codes in one title: a clerk decides
            matches[index] = (customers.pop(), MatchedBy.CODE)
    return matches


def _lock_imports() -> None:
    """One import at a time, so that what was imported before is known before writing (SQLite's writers
    queue anyway: transactions there begin IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def statement_import(*, actor: Actor, raw: bytes, fmt: BankFormat) -> StatementReport:
    """Import a statement; any malformed line refuses the whole file (nothing imported)."""
    report = StatementReport()
    try:
        lines = parse_statement(raw, fmt)
    except StatementError as error:
        report.errors.append((error.line, error.message))
        return report
    report.transactions = len(lines)
    credits = [line for line in lines if line.amount > 0]
    report.debits_skipped = len(lines) - len(credits)
    with transaction.atomic():
        _lock_imports()
        known = bank_references_known(line.reference for line in credits)
        new: dict[str, StatementLine] = {}
        for line in credits:
            if line.reference in known or line.reference in new:
                report.already_imported += 1
            else:
                new[line.reference] = line
        matches = match_customers(list(new.values()))
        ids = payments_record_many(
            actor=actor,
            received=[
                ReceivedPayment(
                    amount=line.amount,
                    received_on=line.booked_on,
                    customer_id=customer_id,
                    title=line.title,
                    counterparty_name=line.counterparty_name,
                    counterparty_account=line.counterparty_account[:34],
                    target_account=(line.target_account or next(iter(line.account_candidates), ""))[:34],
                    bank_reference=line.reference,
                )
                for line, (customer_id, _how) in zip(new.values(), matches, strict=True)
            ],
        )
    for pk, line, (customer_id, how) in zip(ids, new.values(), matches, strict=True):
        report.imported += 1
        report.total += line.amount
        report.payment_ids.append(pk)
        if customer_id is None:
            report.unmatched += 1
        else:
            report.matched += 1
            field_name = f"matched_by_{how}"
            setattr(report, field_name, getattr(report, field_name) + 1)
    return report
