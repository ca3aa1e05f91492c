"""What an invoice document says, taken only from the frozen invoice and formatted in the invoice's language.

Both layouts (A4 in pdf.py, the 80 mm receipt in receipt.py) draw the same `InvoiceContent`, so they can never
disagree. Nothing is recomputed from master data: names, addresses, prices, lines, readings, totals and the
balance are the copies the invoice took when it was issued. The only arithmetic is presentation: the VAT
summary per rate is summed from the frozen lines by the rule of billing-rules §6 and must add up to the frozen
totals, and a correction's per-line difference is after − before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext

from ebok.billing import calc
from ebok.billing.documents.qr import zbp_payload
from ebok.billing.documents.words import amount_in_words
from ebok.billing.models import Invoice, InvoiceLine, InvoiceMeterReading, LineSide
from ebok.common.nrb import format_nrb

# The Polish wording of the invoice's own labels. An invoice is a legal document whose Polish terms are fixed
# here, next to the layout, rather than left to the general UI catalogue; other languages come from gettext.
# (Labels are never put together inside f-strings, which xgettext does not read.)
POLISH = {
    "VAT invoice": "Faktura VAT",
    "Correction invoice": "Faktura korygująca",
    "CORRECTION": "KOREKTA",
    "Issue date": "Data wystawienia",
    "Billing period": "Okres rozliczeniowy",
    "Due date": "Termin płatności",
    "Seller": "Sprzedawca",
    "Buyer": "Nabywca",
    "Customer code": "Kod odbiorcy",
    "Service point": "Punkt poboru",
    "Tariff group": "Grupa taryfowa",
    "Meters": "Wodomierze",
    "Meter": "Wodomierz",
    "main": "główny",
    "additional": "dodatkowy",
    "Previous reading": "Odczyt poprzedni",
    "New reading": "Odczyt bieżący",
    "Consumption": "Zużycie",
    "before correction": "przed korektą",
    "after correction": "po korekcie",
    "difference": "różnica",
    "Item": "Lp.",
    "Description": "Nazwa usługi",
    "Unit": "J.m.",
    "Quantity": "Ilość",
    "Unit net price": "Cena jedn. netto",
    "Net value": "Wartość netto",
    "VAT rate": "Stawka VAT",
    "VAT amount": "Kwota VAT",
    "Net": "Netto",
    "Gross": "Brutto",
    "Gross value": "Wartość brutto",
    "VAT summary": "Podsumowanie według stawek VAT",
    "Total": "Razem",
    "Amount due": "Do zapłaty",
    "To be refunded": "Do zwrotu",
    "In words": "Słownie",
    "Pay to your individual account": "Wpłaty na indywidualny rachunek",
    "Balance before this invoice": "Saldo przed wystawieniem faktury",
    "owed": "niedopłata",
    "credit": "nadpłata",
    "settled": "rozliczone",
    "Corrected invoice": "Faktura korygowana",
    "of": "z dnia",
    "Reason for correction": "Przyczyna korekty",
    "Scan the code in your banking app to pay.": "Zeskanuj kod w aplikacji banku, aby zapłacić.",
    "Register in the customer portal with your customer code.": "Kod odbiorcy podaj przy rejestracji w e-BOK.",
    "Page %(page)s of %(pages)s": "Strona %(page)s z %(pages)s",
    "Phone": "Tel.",
    "The refund is paid to the account you paid from, or set off against the next invoice.": (
        "Nadpłata zostanie zwrócona na rachunek, z którego dokonano wpłaty, lub zaliczona na poczet "
        "kolejnej faktury."
    ),
}


_translated: dict[tuple[str, str], str] = {}


def _(message: str) -> str:
    """The label in the active language: the table above for Polish, gettext otherwise.

    Memoised per language: a document asks for some fifty labels, and catalogues do not change while the
    process runs."""
    language = translation.get_language() or "pl"
    key = (language, message)
    translated = _translated.get(key)
    if translated is None:
        translated = POLISH[message] if language.startswith("pl") and message in POLISH else gettext(message)
        _translated[key] = translated
    return translated


# --- formatting ---------------------------------------------------------------------------------------------


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


@dataclass(frozen=True, slots=True)
class Formats:
    """Number and date formats of one language."""

    decimal: str
    thousands: str
    date: str
    currency: str

    def number(self, value: Decimal, places: int) -> str:
        text = f"{abs(value):.{places}f}"
        whole, _dot, frac = text.partition(".")
        sign = "-" if value < 0 and value.quantize(Decimal(1).scaleb(-places)) != 0 else ""
        out = sign + _group(whole, self.thousands)
        return f"{out}{self.decimal}{frac}" if places else out

    def money(self, value: Decimal) -> str:
        return f"{self.number(value, 2)} {self.currency}"

    def price(self, value: Decimal) -> str:
        """A unit price: at least 2 decimals, up to the 4 the tariff may carry."""
        places = 4 if value != value.quantize(Decimal("0.01")) else 2
        return self.number(value, places)

    def reading(self, value: Decimal) -> str:
        """A meter reading or consumption as the meter shows it: no thousands separator, whole m³ without
        decimals (the black drums), else up to 3 decimals."""
        if value == value.to_integral_value():
            return f"{value:.0f}"
        return f"{value:.3f}".rstrip("0").replace(".", self.decimal)

    def day(self, value: dt.date) -> str:
        return value.strftime(self.date)

    def rate(self, value: Decimal) -> str:
        percent = (value * 100).normalize()
        return f"{percent:f}%"


FORMATS = {
    "pl": Formats(decimal=",", thousands=" ", date="%d.%m.%Y", currency="zł"),
    "en": Formats(decimal=".", thousands=",", date="%Y-%m-%d", currency="PLN"),
}


# --- content ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Party:
    heading: str
    name: str
    lines: list[str]  # address and identifiers, one per printed line


@dataclass(slots=True)
class MeterRow:
    serial: str
    role: str
    side: str  # "" or the translated "before correction" / "after correction"
    previous: str  # "1 200 (28.02.2025)"
    new: str
    consumption: str


@dataclass(slots=True)
class LineRow:
    number: str  # "1", or "" on the after/difference rows of a correction
    label: str  # "" on an ordinary invoice; before/after/difference on a correction
    description: str
    unit: str
    quantity: str
    unit_price: str
    net: str
    rate: str
    emphasis: bool = False


@dataclass(slots=True)
class VatRow:
    label: str  # the rate ("8%") or "Total"; on a correction with before/after/difference after it
    net: str
    vat: str
    gross: str
    emphasis: bool = False


@dataclass(slots=True)
class InvoiceContent:
    language: str
    is_correction: bool
    title: str
    number: str
    facts: list[tuple[str, str]]  # (label, value): issue date, period, due date
    seller: Party
    buyer: Party
    customer_code_label: str
    customer_code: str
    customer_code_hint: str
    point: Party
    correction: list[tuple[str, str]]  # corrected invoice, reason
    meters_heading: str
    meter_headings: tuple[str, str, str, str]  # meter, previous, new, consumption
    meters: list[MeterRow]
    line_headings: tuple[str, ...]
    lines: list[LineRow]
    vat_heading: str
    vat_headings: tuple[str, str, str, str]
    vat_short_headings: tuple[str, str, str]  # net, VAT, gross on the narrow receipt
    vat_rows: list[VatRow]
    due_label: str
    due_amount: str
    due_words_label: str
    due_words: str
    due_note: str
    account_label: str
    account: str
    bank: str
    balance_label: str
    balance: str
    qr_payload: str | None
    qr_caption: str
    footer: str
    page_label: str = field(default="Page %(page)s of %(pages)s")


def _seller(seller: dict, f: Formats) -> Party:
    lines = [seller.get("street", ""), f"{seller.get('postal_code', '')} {seller.get('city', '')}".strip()]
    ids = [f"NIP {seller['nip']}"] if seller.get("nip") else []
    if seller.get("regon"):
        ids.append(f"REGON {seller['regon']}")
    if seller.get("krs"):
        ids.append(f"KRS {seller['krs']}")
    if ids:
        lines.append(", ".join(ids))
    contact = []
    if seller.get("phone"):
        contact.append(_("Phone") + " " + seller["phone"])
    if seller.get("email"):
        contact.append(seller["email"])
    if contact:
        lines.append(", ".join(contact))
    if seller.get("website"):
        lines.append(seller["website"])
    return Party(_("Seller"), seller.get("name", ""), [line for line in lines if line])


def _buyer(buyer: dict) -> Party:
    lines = [buyer.get("street", ""), f"{buyer.get('postal_code', '')} {buyer.get('city', '')}".strip()]
    if buyer.get("nip"):
        lines.append(f"NIP {buyer['nip']}")
    return Party(_("Buyer"), buyer.get("name", ""), [line for line in lines if line])


def _point(point: dict) -> Party:
    lines = [f"{point.get('postal_code', '')} {point.get('city', '')}".strip()]
    if point.get("tariff_group"):
        group = point["tariff_group"]
        if point.get("tariff_group_name"):
            group = f"{group} – {point['tariff_group_name']}"
        lines.append(_("Tariff group") + ": " + group)
    return Party(_("Service point"), point.get("street", ""), [line for line in lines if line])


def _meters(readings: list[InvoiceMeterReading], f: Formats) -> list[MeterRow]:
    sides = {
        LineSide.PLAIN: "",
        LineSide.BEFORE: _("before correction"),
        LineSide.AFTER: _("after correction"),
    }
    roles = {"main": _("main"), "additional": _("additional")}
    order = {LineSide.BEFORE: 0, LineSide.PLAIN: 1, LineSide.AFTER: 2}
    rows = []
    for m in sorted(readings, key=lambda m: (order[m.side], m.role != "main", m.serial_number, m.pk or 0)):
        rows.append(
            MeterRow(
                serial=m.serial_number,
                role=roles.get(m.role, m.role),
                side=sides[m.side],
                previous=f"{f.reading(m.previous_value)} ({f.day(m.previous_date)})",
                new=f"{f.reading(m.new_value)} ({f.day(m.new_date)})",
                consumption=f"{f.reading(m.consumption)} m³",
            )
        )
    return rows


def _line_row(number: str, label: str, line: InvoiceLine, f: Formats, emphasis: bool = False) -> LineRow:
    return LineRow(
        number=number,
        label=label,
        description=line.description,
        unit=line.unit,
        quantity=f.number(line.quantity, 3),
        unit_price=f.price(line.unit_net_price),
        net=f.number(line.net, 2),
        rate=f.rate(line.vat_rate),
        emphasis=emphasis,
    )


def _correction_rows(before: list[InvoiceLine], after: list[InvoiceLine], f: Formats) -> list[LineRow]:
    """Before / after / difference for each line, paired by what the line is (kind and period)."""

    def key(line: InvoiceLine) -> tuple:
        return (line.kind, line.period_start, line.period_end, line.vat_rate)

    before_by_key = {key(line): line for line in before}
    after_by_key = {key(line): line for line in after}
    keys = list(before_by_key) + [k for k in after_by_key if k not in before_by_key]
    rows = []
    for number, k in enumerate(keys, start=1):
        old, new = before_by_key.get(k), after_by_key.get(k)
        shown = new or old
        old_qty = old.quantity if old else Decimal("0.000")
        new_qty = new.quantity if new else Decimal("0.000")
        old_net = old.net if old else Decimal("0.00")
        new_net = new.net if new else Decimal("0.00")
        if old:
            rows.append(_line_row(str(number), _("before correction"), old, f))
        if new:
            rows.append(_line_row("" if old else str(number), _("after correction"), new, f))
        rows.append(
            LineRow(
                number="",
                label=_("difference"),
                description=shown.description,
                unit=shown.unit,
                quantity=f.number(new_qty - old_qty, 3),
                unit_price="",
                net=f.number(new_net - old_net, 2),
                rate=f.rate(shown.vat_rate),
                emphasis=True,
            )
        )
    return rows


def _vat_rows(invoice: Invoice, lines: list[InvoiceLine], f: Formats) -> list[VatRow]:
    """Per rate, from the frozen lines; on a correction before / after / difference. Must match the totals."""
    if invoice.is_correction:
        before = calc.vat_totals([line for line in lines if line.side == LineSide.BEFORE])
        after = calc.vat_totals([line for line in lines if line.side == LineSide.AFTER])
        rates = sorted({r.rate for r in before.rows} | {r.rate for r in after.rows}, reverse=True)
        zero = calc.VatRow(rate=Decimal(0), net=Decimal("0.00"), vat=Decimal("0.00"))
        rows = []
        diff_net = diff_vat = Decimal("0.00")
        for rate in rates:
            b = next((r for r in before.rows if r.rate == rate), zero)
            a = next((r for r in after.rows if r.rate == rate), zero)
            for label, net, vat in (
                (_("before correction"), b.net, b.vat),
                (_("after correction"), a.net, a.vat),
                (_("difference"), a.net - b.net, a.vat - b.vat),
            ):
                rows.append(
                    VatRow(
                        f"{f.rate(rate)} {label}",
                        f.number(net, 2),
                        f.number(vat, 2),
                        f.number(net + vat, 2),
                        emphasis=label == _("difference"),
                    )
                )
            diff_net += a.net - b.net
            diff_vat += a.vat - b.vat
        summed = (diff_net, diff_vat)
    else:
        totals = calc.vat_totals(lines)
        rows = [
            VatRow(f.rate(r.rate), f.number(r.net, 2), f.number(r.vat, 2), f.number(r.net + r.vat, 2))
            for r in totals.rows
        ]
        summed = (totals.net, totals.vat)
    if summed != (invoice.total_net, invoice.total_vat):
        raise DocumentError(
            f"invoice {invoice.number}: lines sum to net {summed[0]} / VAT {summed[1]}, "
            f"but the invoice says {invoice.total_net} / {invoice.total_vat}"
        )
    rows.append(
        VatRow(
            _("Total") + (" (" + _("difference") + ")" if invoice.is_correction else ""),
            f.number(invoice.total_net, 2),
            f.number(invoice.total_vat, 2),
            f.number(invoice.total_gross, 2),
            emphasis=True,
        )
    )
    return rows


class DocumentError(Exception):
    """The frozen invoice contradicts itself; no document is rendered rather than a wrong one."""


def _prefetched(invoice: Invoice, name: str) -> list:
    cache = getattr(invoice, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    return list(getattr(invoice, name).all())


def invoice_content(invoice: Invoice) -> InvoiceContent:
    """Everything the document prints, in the invoice's language. Reads the invoice's lines, meter readings
    and (for a correction) the corrected invoice; prefetch them (`prefetch_related("lines",
    "meter_readings")`, `select_related("corrects")`) to render many invoices with few queries."""
    language = invoice.language if invoice.language in FORMATS else "pl"
    f = FORMATS[language]
    lines = _prefetched(invoice, "lines")
    readings = _prefetched(invoice, "meter_readings")
    with translation.override(language):
        correction = []
        if invoice.is_correction:
            title = _("Correction invoice") + " – " + _("CORRECTION")
            original = invoice.corrects
            correction = [
                (_("Corrected invoice"), " ".join((original.number, _("of"), f.day(original.issue_date)))),
                (_("Reason for correction"), invoice.correction_reason),
            ]
            before = sorted((li for li in lines if li.side == LineSide.BEFORE), key=lambda li: li.position)
            after = sorted((li for li in lines if li.side == LineSide.AFTER), key=lambda li: li.position)
            line_rows = _correction_rows(before, after, f)
        else:
            title = _("VAT invoice")
            plain = sorted((li for li in lines if li.side == LineSide.PLAIN), key=lambda li: li.position)
            line_rows = [_line_row(str(i), "", line, f) for i, line in enumerate(plain, start=1)]
        amount = invoice.total_gross
        refund = amount < 0
        balance = invoice.balance_before
        if balance > 0:
            balance_text = _("owed") + " " + f.money(balance)
        elif balance < 0:
            balance_text = _("credit") + " " + f.money(-balance)
        else:
            balance_text = f.money(balance) + " (" + _("settled") + ")"
        payload = zbp_payload(
            nip=invoice.seller.get("nip", ""),
            account=invoice.bank_account,
            amount=amount,
            recipient=invoice.seller.get("name", ""),
            title=invoice.number,
        )
        return InvoiceContent(
            language=language,
            is_correction=invoice.is_correction,
            title=title,
            number=invoice.number,
            facts=[
                (_("Issue date"), f.day(invoice.issue_date)),
                (_("Billing period"), f"{f.day(invoice.period_start)} – {f.day(invoice.period_end)}"),
                (_("Due date"), f.day(invoice.due_date)),
            ],
            seller=_seller(invoice.seller, f),
            buyer=_buyer(invoice.buyer),
            customer_code_label=_("Customer code"),
            customer_code=invoice.customer_code,
            customer_code_hint=_("Register in the customer portal with your customer code."),
            point=_point(invoice.point),
            correction=correction,
            meters_heading=_("Meters"),
            meter_headings=(_("Meter"), _("Previous reading"), _("New reading"), _("Consumption")),
            meters=_meters(readings, f),
            line_headings=(
                _("Item"),
                _("Description"),
                _("Unit"),
                _("Quantity"),
                _("Unit net price"),
                _("Net value"),
                _("VAT rate"),
            ),
            lines=line_rows,
            vat_heading=_("VAT summary"),
            vat_headings=(_("VAT rate"), _("Net value"), _("VAT amount"), _("Gross value")),
            vat_short_headings=(_("Net"), "VAT", _("Gross")),
            vat_rows=_vat_rows(invoice, lines, f),
            due_label=_("To be refunded") if refund else _("Amount due"),
            due_amount=f.money(abs(amount)),
            due_words_label=_("In words"),
            due_words=amount_in_words(amount),
            due_note=(
                _("The refund is paid to the account you paid from, or set off against the next invoice.")
                if refund
                else ""
            ),
            account_label=_("Pay to your individual account"),
            account=format_nrb(invoice.bank_account),
            bank=invoice.seller.get("bank_name", ""),
            balance_label=_("Balance before this invoice"),
            balance=balance_text,
            qr_payload=payload,
            qr_caption=_("Scan the code in your banking app to pay."),
            footer=f"{invoice.seller.get('name', '')} · {invoice.number} · EBOK",
            page_label=_("Page %(page)s of %(pages)s"),
        )
