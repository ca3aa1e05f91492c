"""The KSeF structured invoice, FA(3) schema version 1-0E, of a frozen invoice or correction invoice.

`invoice_to_fa3()` writes the XML from what the invoice froze (no master data is read); `validate_fa3()`
checks it against the Ministry of Finance's official XSD in a local directory, with the schema's http:// import
of StrukturyDanych mapped to the local file, so validation never touches the network.

Choices, following the schema's documentation elements:
- Buyer: a business is identified by its NIP, a consumer by BrakID=1 (no tax identifier on the invoice). A
  business invoice whose frozen buyer has no NIP still gets a `<NIP>` element (empty), so that validation
  refuses it instead of quietly filing it as a consumer's invoice.
- Correction (RodzajFaktury KOR): "fields are filled according to the state after the correction, and the
  fields of taxable amounts, tax and total due by the difference" (Fa documentation): P_13_x, P_14_x and P_15
  carry the differences; the lines are given "before and after the correction as separate rows", the rows
  before marked StanPrzed=1 (FaWiersz documentation). The corrected invoice was not sent through KSeF by EBOK,
  so DaneFaKorygowanej says NrKSeFN=1 (issued outside KSeF).
- DataWytworzeniaFa is the moment the invoice was issued (issued_at, UTC), so the same invoice always gives the
  same bytes. The schema accepts only moments from 2025-09-01 on: older invoices predate FA(3).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

from ebok.billing import calc
from ebok.billing.models import Invoice, InvoiceLine, InvoiceMeterReading, LineSide

NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
ETD_NS = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
MAIN_XSD = "schemat_FA(3)_v1-0E.xsd"
IMPORTED = {
    ETD_NS + "StrukturyDanych_v10-0E.xsd": "StrukturyDanych_v10-0E.xsd",
}
SYSTEM_INFO = "EBOK"
CURRENCY = "PLN"
PAYMENT_TRANSFER = "6"  # TFormaPlatnosci: przelew
PHONE_LENGTH = 16  # TNumerTelefonu
KRS = re.compile(r"\d{10}")
REGON = re.compile(r"\d{9}|\d{14}")
# Which group of P_13_x / P_14_x fields a VAT rate belongs to (FA(3): 1 = basic 23/22 %, 2 = first reduced
# 8/7 %, 3 = second reduced 5 %).
RATE_GROUPS = {
    Decimal("0.23"): 1,
    Decimal("0.22"): 1,
    Decimal("0.08"): 2,
    Decimal("0.07"): 2,
    Decimal("0.05"): 3,
}


class KsefError(Exception):
    """The invoice cannot be expressed in FA(3) (e.g. a VAT rate the schema has no field for)."""


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    """TKwotowy: a plain decimal with 2 places, never "-0.00"."""
    value = value.quantize(Decimal("0.01"))
    return "0.00" if value == 0 else f"{value:f}"


def _decimal(value: Decimal) -> str:
    """TIlosci / TKwotowy2: the stored decimal as it is (e.g. "10.000", "6.2400")."""
    return "0" if value == 0 else f"{value:f}"


def _rate(value: Decimal) -> str:
    percent = (value * 100).normalize()
    return f"{percent:f}"


def _rate_group(rate: Decimal) -> int:
    group = RATE_GROUPS.get(rate)  # Decimal("0.0800") == Decimal("0.08") and hashes the same
    if group is None:
        raise KsefError(f"VAT rate {_rate(rate)}% has no P_13/P_14 field group in FA(3)")
    return group


def _address(parent: ET.Element, tag: str, data: dict) -> None:
    address = _add(parent, tag)
    _add(address, "KodKraju", "PL")
    _add(address, "AdresL1", data.get("street", "") or "-")
    city = f"{data.get('postal_code', '')} {data.get('city', '')}".strip()
    if city:
        _add(address, "AdresL2", city)


def _seller(root: ET.Element, seller: dict) -> None:
    podmiot = _add(root, "Podmiot1")
    ids = _add(podmiot, "DaneIdentyfikacyjne")
    _add(ids, "NIP", seller.get("nip", ""))
    _add(ids, "Nazwa", seller.get("name", ""))
    _address(podmiot, "Adres", seller)
    # Contact data is optional in FA(3); a phone number longer than the schema's 16 characters (an extension,
    # two numbers) is left out rather than letting a courtesy field make the whole invoice invalid.
    email = seller.get("email", "")
    phone = seller.get("phone", "") if len(seller.get("phone", "")) <= PHONE_LENGTH else ""
    if email or phone:
        contact = _add(podmiot, "DaneKontaktowe")
        if email:
            _add(contact, "Email", email)
        if phone:
            _add(contact, "Telefon", phone)


def _buyer(root: ET.Element, invoice: Invoice) -> None:
    buyer = invoice.buyer
    podmiot = _add(root, "Podmiot2")
    ids = _add(podmiot, "DaneIdentyfikacyjne")
    if buyer.get("kind") == "business" or buyer.get("nip"):
        _add(ids, "NIP", buyer.get("nip", ""))
    else:
        _add(ids, "BrakID", "1")
    _add(ids, "Nazwa", buyer.get("name", ""))
    _address(podmiot, "Adres", buyer)
    _add(podmiot, "NrKlienta", invoice.customer_code)
    _add(podmiot, "JST", "2")  # not a subordinate unit of a local government
    _add(podmiot, "GV", "2")  # not a member of a VAT group


def _rate_sums(invoice: Invoice, lines: list[InvoiceLine]) -> dict[int, tuple[Decimal, Decimal]]:
    """Net and VAT per FA(3) rate group; for a correction the difference after − before."""
    if invoice.is_correction:
        before = calc.vat_totals([li for li in lines if li.side == LineSide.BEFORE]).rows
        after = calc.vat_totals([li for li in lines if li.side == LineSide.AFTER]).rows
        signed = [(r, -1) for r in before] + [(r, 1) for r in after]
    else:
        signed = [(r, 1) for r in calc.vat_totals(lines).rows]
    sums: dict[int, tuple[Decimal, Decimal]] = {}
    for row, sign in signed:
        group = _rate_group(row.rate)
        net, vat = sums.get(group, (Decimal("0.00"), Decimal("0.00")))
        sums[group] = (net + sign * row.net, vat + sign * row.vat)
    total = (sum(n for n, _v in sums.values()), sum(v for _n, v in sums.values()))
    if total != (invoice.total_net, invoice.total_vat):
        raise KsefError(
            f"invoice {invoice.number}: lines sum to net {total[0]} / VAT {total[1]}, "
            f"but the invoice says {invoice.total_net} / {invoice.total_vat}"
        )
    return sums


def _adnotacje(fa: ET.Element) -> None:
    """None of the special regimes applies to water and sewage services: every marker says "no"."""
    adnotacje = _add(fa, "Adnotacje")
    for tag in ("P_16", "P_17", "P_18", "P_18A"):
        _add(adnotacje, tag, "2")
    _add(_add(adnotacje, "Zwolnienie"), "P_19N", "1")
    _add(_add(adnotacje, "NoweSrodkiTransportu"), "P_22N", "1")
    _add(adnotacje, "P_23", "2")
    _add(_add(adnotacje, "PMarzy"), "P_PMarzyN", "1")


def _describe(fa: ET.Element, key: str, value: str) -> None:
    opis = _add(fa, "DodatkowyOpis")
    _add(opis, "Klucz", key)
    _add(opis, "Wartosc", value[:256])


def _meter_text(m: InvoiceMeterReading) -> str:
    def reading(value: Decimal) -> str:
        return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"

    return (
        f"{reading(m.previous_value)} ({m.previous_date.isoformat()}) - {reading(m.new_value)} "
        f"({m.new_date.isoformat()}), zużycie {reading(m.consumption)} m3"
    )


def _line(fa: ET.Element, number: int, line: InvoiceLine, *, before: bool = False) -> None:
    wiersz = _add(fa, "FaWiersz")
    _add(wiersz, "NrWierszaFa", str(number))
    _add(wiersz, "P_7", line.description)
    _add(wiersz, "P_8A", line.unit)
    _add(wiersz, "P_8B", _decimal(line.quantity))
    _add(wiersz, "P_9A", _decimal(line.unit_net_price))
    _add(wiersz, "P_11", _amount(line.net))
    _add(wiersz, "P_12", _rate(line.vat_rate))
    if before:
        _add(wiersz, "StanPrzed", "1")


def _all(invoice: Invoice, name: str) -> list:
    cache = getattr(invoice, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else list(getattr(invoice, name).all())


def invoice_to_fa3(invoice: Invoice) -> bytes:
    """The FA(3) XML (UTF-8) of an invoice (RodzajFaktury VAT) or a correction invoice (KOR)."""
    lines = _all(invoice, "lines")
    readings = _all(invoice, "meter_readings")
    # Unqualified names under a default namespace declared on the root: the XML reads as the official
    # examples do, and ElementTree's global prefix registry is left alone.
    root = ET.Element("Faktura", xmlns=NS)

    naglowek = _add(root, "Naglowek")
    _add(naglowek, "KodFormularza", "FA", kodSystemowy="FA (3)", wersjaSchemy="1-0E")
    _add(naglowek, "WariantFormularza", "3")
    issued = invoice.issued_at.astimezone(dt.UTC).replace(microsecond=0)
    _add(naglowek, "DataWytworzeniaFa", issued.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _add(naglowek, "SystemInfo", SYSTEM_INFO)

    _seller(root, invoice.seller)
    _buyer(root, invoice)

    fa = _add(root, "Fa")
    _add(fa, "KodWaluty", CURRENCY)
    _add(fa, "P_1", invoice.issue_date.isoformat())
    _add(fa, "P_2", invoice.number)
    okres = _add(fa, "OkresFa")
    _add(okres, "P_6_Od", invoice.period_start.isoformat())
    _add(okres, "P_6_Do", invoice.period_end.isoformat())
    for group, (net, vat) in sorted(_rate_sums(invoice, lines).items()):
        _add(fa, f"P_13_{group}", _amount(net))
        _add(fa, f"P_14_{group}", _amount(vat))
    _add(fa, "P_15", _amount(invoice.total_gross))
    _adnotacje(fa)

    if invoice.is_correction:
        _add(fa, "RodzajFaktury", "KOR")
        _add(fa, "PrzyczynaKorekty", " ".join(invoice.correction_reason.split())[:256])
        original = invoice.corrects
        dane = _add(fa, "DaneFaKorygowanej")
        _add(dane, "DataWystFaKorygowanej", original.issue_date.isoformat())
        _add(dane, "NrFaKorygowanej", original.number)
        _add(dane, "NrKSeFN", "1")
    else:
        _add(fa, "RodzajFaktury", "VAT")

    point = invoice.point
    address = ", ".join(
        part
        for part in (
            point.get("street", ""),
            f"{point.get('postal_code', '')} {point.get('city', '')}".strip(),
        )
        if part
    )
    _describe(fa, "Punkt poboru", address)
    sides = {LineSide.PLAIN: "", LineSide.BEFORE: " (przed korektą)", LineSide.AFTER: " (po korekcie)"}
    for m in sorted(
        readings, key=lambda m: ({"before": 0, "": 1, "after": 2}[m.side], m.role != "main", m.serial_number)
    ):
        _describe(fa, f"Wodomierz {m.serial_number}{sides[m.side]}", _meter_text(m))

    if invoice.is_correction:
        before = sorted((li for li in lines if li.side == LineSide.BEFORE), key=lambda li: li.position)
        after = sorted((li for li in lines if li.side == LineSide.AFTER), key=lambda li: li.position)
        for number, line in enumerate(before, start=1):
            _line(fa, number, line, before=True)
        for number, line in enumerate(after, start=len(before) + 1):
            _line(fa, number, line)
    else:
        plain = sorted((li for li in lines if li.side == LineSide.PLAIN), key=lambda li: li.position)
        for number, line in enumerate(plain, start=1):
            _line(fa, number, line)

    if invoice.total_gross > 0:
        platnosc = _add(fa, "Platnosc")
        _add(_add(platnosc, "TerminPlatnosci"), "Termin", invoice.due_date.isoformat())
        _add(platnosc, "FormaPlatnosci", PAYMENT_TRANSFER)
        rachunek = _add(platnosc, "RachunekBankowy")
        _add(rachunek, "NrRB", invoice.bank_account)
        if invoice.seller.get("bank_name"):
            _add(rachunek, "NazwaBanku", invoice.seller["bank_name"])

    # The seller's registry numbers (optional): only in the forms the schema knows, so that an oddly stored
    # number cannot make the invoice invalid.
    seller = invoice.seller
    krs = seller.get("krs", "") if KRS.fullmatch(seller.get("krs", "")) else ""
    regon = seller.get("regon", "") if REGON.fullmatch(seller.get("regon", "")) else ""
    if krs or regon:
        rejestry = _add(_add(root, "Stopka"), "Rejestry")
        _add(rejestry, "PelnaNazwa", seller.get("name", ""))
        if krs:
            _add(rejestry, "KRS", krs)
        if regon:
            _add(rejestry, "REGON", regon)

    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


# --- validation ---------------------------------------------------------------------------------------------


@functools.cache
def _schema(schema_dir: str):
    """The compiled FA(3) schema of a directory (compiling takes about a second, so once per process)."""
    import xmlschema  # imported here: only validation needs it

    directory = Path(schema_dir)
    main = directory / MAIN_XSD
    if not main.is_file():
        raise FileNotFoundError(f"no FA(3) schema at {main}")
    mapper = {url: str(directory / name) for url, name in IMPORTED.items()}
    # allow="sandbox": only files under the schema directory may be read; nothing from the network.
    return xmlschema.XMLSchema(str(main), uri_mapper=mapper, allow="sandbox")


_NAMESPACE = re.compile(r"\{(?:https?|urn):[^}]*\}|\b(?:tns|etd):")
# What a reader needs to know about the fields that fail most often.
HINTS = {
    "NIP": "a NIP is 10 digits; a business buyer must have one",
    "DataWytworzeniaFa": "FA(3) documents can only be made from 2025-09-01 on",
    "NrRB": "the bank account must be 10-34 characters",
}


def _plain(text: str | None) -> str:
    """Namespaces and prefixes out: "{http://…}Podmiot2" and "tns:P_15" read as "Podmiot2" and "P_15"."""
    return _NAMESPACE.sub("", text or "")


def validate_fa3(xml: bytes, schema_dir: Path | str) -> list[str]:
    """Every way `xml` breaks the official FA(3) schema in `schema_dir`, as readable sentences; [] = valid."""
    import xmlschema

    try:
        # Parsed with entities and DTDs refused and no access to any file or URL: the XML may come from outside.
        resource = xmlschema.XMLResource(xml, allow="none", defuse="always")
    except xmlschema.XMLResourceError as error:
        return [f"document: not well-formed or not allowed XML ({error})"]
    schema = _schema(str(Path(schema_dir).resolve()))
    errors = []
    for error in schema.iter_errors(resource):
        where = _plain(error.path).strip("/") or "document"
        element = getattr(error, "elem", None)
        if isinstance(error.obj, str):
            value = f" (value {error.obj.strip()!r})"
        elif element is not None and ET.iselement(element) and len(element) == 0:
            value = f" (value {(element.text or '').strip()!r})"
        else:
            value = ""
        reason = _plain(error.reason or error.message).strip().rstrip(".")
        hint = HINTS.get(where.rsplit("/", 1)[-1])
        errors.append(f"{where}{value}: {reason}" + (f" ({hint})" if hint else ""))
    return errors


def schema_dir_from_settings() -> Path | None:
    """The directory of the FA(3) XSD files (setting KSEF_SCHEMA_DIR, env EBOK_KSEF_SCHEMA_DIR), if set."""
    from django.conf import settings

    value = getattr(settings, "KSEF_SCHEMA_DIR", "")
    return Path(value) if value else None


def invoice_to_valid_fa3(invoice: Invoice) -> bytes:
    """The FA(3) XML of `invoice`, validated against the schema of the setting; raises KsefError listing what
    is wrong (or that no schema directory is configured) instead of handing out a document KSeF would refuse."""
    schema_dir = schema_dir_from_settings()
    if schema_dir is None:
        raise KsefError("KSEF_SCHEMA_DIR (EBOK_KSEF_SCHEMA_DIR) is not set: cannot check the FA(3) document")
    xml = invoice_to_fa3(invoice)
    errors = validate_fa3(xml, schema_dir)
    if errors:
        raise KsefError(f"FA(3) document of {invoice.number} is not valid: " + "; ".join(errors))
    return xml
