"""KSeF FA(3) structured invoices: a consumer's invoice, a business invoice and a correction validate against the
official schema (../shared/data/ksef-fa3), and a broken document is refused with a clear message."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal as D
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ebok.billing.documents.ksef import (
    NS,
    KsefError,
    invoice_to_fa3,
    invoice_to_valid_fa3,
    validate_fa3,
)
from ebok.customers.models import CustomerKind
from tests import factories
from tests.billing.test_documents_pdf import correct_main_meter, issue_worked_example

pytestmark = pytest.mark.django_db

# The repository's root is parents[2]; shared/ lies beside the repository (also in CI's fresh clone).
SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "ksef-fa3"
X = {"fa": NS}


def find(xml: bytes, path: str) -> list[str]:
    root = ET.fromstring(xml)
    return [element.text or "" for element in root.findall(path, X)]


@pytest.fixture
def consumer_invoice(tariff):
    return issue_worked_example(tariff)


@pytest.fixture
def business_invoice(tariff):
    return issue_worked_example(
        tariff,
        kind=CustomerKind.BUSINESS,
        name="Piekarnia Żurawinka Sp. z o.o.",
        nip=factories.VALID_NIP,
        serials=("WM-B-01", "WM-B-02"),
    )


def test_schema_directory_is_beside_the_repository():
    assert (SCHEMA_DIR / "schemat_FA(3)_v1-0E.xsd").is_file(), f"FA(3) schema not found in {SCHEMA_DIR}"


def test_consumer_invoice_is_valid_fa3_with_brakid_period_rate_sums_and_payment(consumer_invoice):
    xml = invoice_to_fa3(consumer_invoice)

    assert validate_fa3(xml, SCHEMA_DIR) == []
    root = ET.fromstring(xml)
    header = root.find("fa:Naglowek/fa:KodFormularza", X)
    assert (header.text, header.get("kodSystemowy"), header.get("wersjaSchemy")) == ("FA", "FA (3)", "1-0E")
    assert find(xml, "fa:Naglowek/fa:WariantFormularza") == ["3"]
    assert find(xml, "fa:Naglowek/fa:DataWytworzeniaFa") == ["2026-04-02T10:30:00Z"]
    assert find(xml, "fa:Naglowek/fa:SystemInfo") == ["EBOK"]
    assert find(xml, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP") == ["6572948401"]
    assert find(xml, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:BrakID") == ["1"]
    assert find(xml, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP") == []
    assert find(xml, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:Nazwa") == ["Jan Łosień"]
    assert find(xml, "fa:Podmiot2/fa:NrKlienta") == [consumer_invoice.customer_code]
    assert find(xml, "fa:Fa/fa:RodzajFaktury") == ["VAT"]
    assert find(xml, "fa:Fa/fa:P_1") == ["2026-04-02"]
    assert find(xml, "fa:Fa/fa:P_2") == ["FV/2026/000001"]
    assert find(xml, "fa:Fa/fa:OkresFa/fa:P_6_Od") == ["2026-03-01"]
    assert find(xml, "fa:Fa/fa:OkresFa/fa:P_6_Do") == ["2026-03-31"]
    assert find(xml, "fa:Fa/fa:P_13_2") == ["150.16"]
    assert find(xml, "fa:Fa/fa:P_14_2") == ["12.01"]
    assert find(xml, "fa:Fa/fa:P_15") == ["162.17"]
    assert find(xml, "fa:Fa/fa:FaWiersz/fa:P_8B") == ["10.000", "8.000", "1.000"]
    assert find(xml, "fa:Fa/fa:FaWiersz/fa:P_9A") == ["6.2400", "8.8200", "17.2000"]
    assert find(xml, "fa:Fa/fa:FaWiersz/fa:P_11") == ["62.40", "70.56", "17.20"]
    assert find(xml, "fa:Fa/fa:FaWiersz/fa:P_12") == ["8", "8", "8"]
    assert find(xml, "fa:Fa/fa:Platnosc/fa:TerminPlatnosci/fa:Termin") == ["2026-04-16"]
    assert find(xml, "fa:Fa/fa:Platnosc/fa:FormaPlatnosci") == ["6"]
    assert find(xml, "fa:Fa/fa:Platnosc/fa:RachunekBankowy/fa:NrRB") == [consumer_invoice.bank_account]
    assert "1200 (2026-02-28) - 1210 (2026-03-31), zużycie 10 m3" in find(
        xml, "fa:Fa/fa:DodatkowyOpis/fa:Wartosc"
    )


def test_business_invoice_is_valid_fa3_with_the_buyers_nip(business_invoice):
    xml = invoice_to_fa3(business_invoice)

    assert validate_fa3(xml, SCHEMA_DIR) == []
    assert find(xml, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP") == [factories.VALID_NIP]
    assert find(xml, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:BrakID") == []


def test_correction_is_valid_fa3_kor_with_the_corrected_invoice_and_lines_before_and_after(consumer_invoice):
    correction = correct_main_meter(consumer_invoice, "1208", "Błędnie odczytany stan wodomierza")

    xml = invoice_to_fa3(correction)

    assert validate_fa3(xml, SCHEMA_DIR) == []
    assert find(xml, "fa:Fa/fa:RodzajFaktury") == ["KOR"]
    assert find(xml, "fa:Fa/fa:PrzyczynaKorekty") == ["Błędnie odczytany stan wodomierza"]
    assert find(xml, "fa:Fa/fa:DaneFaKorygowanej/fa:NrFaKorygowanej") == ["FV/2026/000001"]
    assert find(xml, "fa:Fa/fa:DaneFaKorygowanej/fa:DataWystFaKorygowanej") == ["2026-04-02"]
    assert find(xml, "fa:Fa/fa:DaneFaKorygowanej/fa:NrKSeFN") == ["1"]
    # Sums and total due by the difference (art. 106j ust. 2 pkt 5): −30.12 net, −2.41 VAT, −32.53.
    assert find(xml, "fa:Fa/fa:P_13_2") == ["-30.12"]
    assert find(xml, "fa:Fa/fa:P_14_2") == ["-2.41"]
    assert find(xml, "fa:Fa/fa:P_15") == ["-32.53"]
    # Lines before the correction (StanPrzed=1) and after, as separate rows numbered on.
    rows = ET.fromstring(xml).findall("fa:Fa/fa:FaWiersz", X)
    assert [r.findtext("fa:NrWierszaFa", namespaces=X) for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r.findtext("fa:StanPrzed", namespaces=X) for r in rows] == ["1", "1", "1", None, None, None]
    assert [r.findtext("fa:P_11", namespaces=X) for r in rows] == [
        "62.40",
        "70.56",
        "17.20",
        "49.92",
        "52.92",
        "17.20",
    ]
    assert find(xml, "fa:Fa/fa:Platnosc") == []  # a refund: nothing to pay, no payment terms


def test_business_invoice_without_the_buyers_nip_is_refused_with_a_clear_message(business_invoice):
    broken = copy.copy(business_invoice)
    broken.buyer = {**business_invoice.buyer, "nip": ""}

    errors = validate_fa3(invoice_to_fa3(broken), SCHEMA_DIR)

    assert errors, "a business invoice without the buyer's NIP must not validate"
    assert any(e.startswith("Faktura/Podmiot2/DaneIdentyfikacyjne/NIP") for e in errors), errors


def test_malformed_nip_is_refused_and_the_message_names_the_field_and_value(business_invoice):
    broken = copy.copy(business_invoice)
    broken.buyer = {**business_invoice.buyer, "nip": "0123"}

    errors = validate_fa3(invoice_to_fa3(broken), SCHEMA_DIR)

    assert len(errors) == 1
    assert errors[0].startswith("Faktura/Podmiot2/DaneIdentyfikacyjne/NIP (value '0123'): ")


def test_missing_mandatory_element_is_refused(consumer_invoice):
    xml = invoice_to_fa3(consumer_invoice).replace(b"<P_15>162.17</P_15>", b"")

    errors = validate_fa3(xml, SCHEMA_DIR)

    assert errors and "Faktura/Fa" in errors[0] and "P_15" in " ".join(errors), errors


def test_not_xml_at_all_is_refused():
    assert validate_fa3(b"<Faktura>", SCHEMA_DIR)[0].startswith(
        "document: not well-formed or not allowed XML"
    )


def test_xml_with_entities_is_refused_without_expanding_them():
    bomb = b'<?xml version="1.0"?><!DOCTYPE F [<!ENTITY a "aaaaaaaaaa">]><Faktura>&a;</Faktura>'

    errors = validate_fa3(bomb, SCHEMA_DIR)

    assert len(errors) == 1 and "forbidden" in errors[0].lower(), errors


def test_same_invoice_gives_the_same_xml(consumer_invoice):
    assert invoice_to_fa3(consumer_invoice) == invoice_to_fa3(
        type(consumer_invoice).objects.get(pk=consumer_invoice.pk)
    )


def test_product_validates_with_the_schema_directory_of_the_setting(
    consumer_invoice, business_invoice, settings
):
    settings.KSEF_SCHEMA_DIR = str(SCHEMA_DIR)
    assert invoice_to_valid_fa3(consumer_invoice) == invoice_to_fa3(consumer_invoice)

    broken = copy.copy(business_invoice)
    broken.buyer = {**business_invoice.buyer, "nip": ""}
    with pytest.raises(KsefError, match="NIP"):
        invoice_to_valid_fa3(broken)

    settings.KSEF_SCHEMA_DIR = ""
    with pytest.raises(KsefError, match="KSEF_SCHEMA_DIR"):
        invoice_to_valid_fa3(consumer_invoice)


def test_invoice_made_before_fa3_existed_is_refused(tariff, consumer_invoice):
    old = copy.copy(consumer_invoice)
    old.issued_at = dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC)

    errors = validate_fa3(invoice_to_fa3(old), SCHEMA_DIR)

    assert errors and errors[0].startswith("Faktura/Naglowek/DataWytworzeniaFa"), errors
    assert D("162.17") == consumer_invoice.total_gross
