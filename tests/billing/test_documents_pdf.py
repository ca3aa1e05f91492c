"""Invoice documents: the A4 PDF and the 80 mm receipt carry every element of billing-rules §7, the payment QR
code scans to the exact ZBP string (§8), and the same invoice always renders to the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal as D

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command
from django.core.management.base import CommandError

from ebok.billing.documents import render_invoice_pdf, render_receipt_pdf
from ebok.billing.documents.qr import zbp_payload
from ebok.billing.documents.words import amount_in_words, number_in_words
from ebok.billing.models import Invoice
from ebok.billing.services import invoice_correct, invoice_issue
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.customers.models import CustomerKind
from ebok.metering.models import MeterRole
from ebok.payments.services import opening_balance_record
from ebok.readings.models import Source
from ebok.readings.services import readings_submit_for_point
from ebok.tariffs.models import Tariff
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 2, 10, 30, tzinfo=dt.UTC)  # FA(3) accepts only documents made from 2025-09-01 on
MM = 72 / 25.4


# --- builders (also used by test_ksef.py) -------------------------------------------------------------------


def issue_worked_example(
    tariff,
    *,
    language: str = "pl",
    kind: str = CustomerKind.PERSON,
    serials: tuple[str, str] = ("WM-MAIN-01", "WM-OGRÓD-02"),
    **customer,
) -> Invoice:
    """billing-rules §10 one year later: main meter 1200 → 1210, garden meter 50 → 52, 1–31 March 2026.
    Net 150.16, VAT 12.01, gross 162.17; the customer owes 50.00 from before."""
    customer.setdefault("name", "Jan Łosień")
    customer = factories.make_customer(
        kind=kind,
        language=language,
        street="ul. Źródlana 7",
        postal_code="42-523",
        city="Łosień",
        **customer,
    )
    point = factories.make_point(
        customer,
        tariff.group,
        opening_date=dt.date(2026, 2, 28),
        street="ul. Źródlana 7",
        postal_code="42-523",
        city="Łosień",
    )
    main = factories.make_meter(point, reading="1200", serial=serials[0])
    garden = factories.make_meter(point, reading="50", role=MeterRole.ADDITIONAL, serial=serials[1])
    with clock.frozen_at(NOW):
        opening_balance_record(actor=SYSTEM, customer=customer, amount=D("50.00"), on=dt.date(2026, 2, 28))
        readings_submit_for_point(
            actor=SYSTEM,
            service_point=point,
            date=dt.date(2026, 3, 31),
            values={main.pk: "1210", garden.pk: "52"},
            source=Source.PORTAL,
        )
        invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2026, 3, 31))
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        D("150.16"),
        D("12.01"),
        D("162.17"),
    )
    assert invoice.balance_before == D("50.00")
    return invoice


def correct_main_meter(invoice: Invoice, value: str, reason: str) -> Invoice:
    main = invoice.meter_readings.get(role="main").meter
    with clock.frozen_at(NOW + dt.timedelta(days=5)):
        return invoice_correct(actor=SYSTEM, invoice=invoice, reason=reason, readings={main.pk: D(value)})


# --- helpers ------------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """All text of the PDF with whitespace runs collapsed to one space."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def decode_qr(data: bytes) -> list[str]:
    """Render each page of the PDF to an image at 216 dpi (what a printer or a screen shows a phone camera)
    and decode every QR code on it."""
    document = pypdfium2.PdfDocument(data)
    codes = []
    try:
        for page in document:
            image = page.render(scale=3).to_pil()
            codes += [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    finally:
        document.close()
    return codes


@pytest.fixture
def invoice(tariff):
    return issue_worked_example(tariff)


# --- the A4 invoice -----------------------------------------------------------------------------------------


def test_a4_invoice_carries_every_mandatory_element(invoice):
    text = pdf_text(render_invoice_pdf(invoice))

    expected = [
        "Faktura VAT",
        "FV/2026/000001",
        # seller, with NIP and address
        "Zakład Usług Komunalnych Test Sp. z o.o.",
        "ul. Czarnowska 3",
        "26-065 Piekoszów",
        "NIP 6572948401",
        # buyer and service point
        "Jan Łosień",
        "ul. Źródlana 7",
        "42-523 Łosień",
        "Punkt poboru".upper(),
        "Grupa taryfowa: G1",
        # customer code, prominently
        "Kod odbiorcy".upper(),
        invoice.customer_code,
        # dates: issue, period, due
        "Data wystawienia: 02.04.2026",
        "Okres rozliczeniowy: 01.03.2026 – 31.03.2026",
        "Termin płatności: 16.04.2026",
        # meters with previous and new readings and their dates
        "WM-MAIN-01 (główny)",
        "1200 (28.02.2026)",
        "1210 (31.03.2026)",
        "10 m³",
        "WM-OGRÓD-02 (dodatkowy)",
        "50 (28.02.2026)",
        "52 (31.03.2026)",
        "2 m³",
        # VAT summary and totals
        "Podsumowanie według stawek VAT",
        "8% 150,16 12,01 162,17",
        "Razem 150,16 12,01 162,17",
        # amount due in figures and in words, account, balance before
        "Do zapłaty: 162,17 zł",
        "Słownie: sto sześćdziesiąt dwa złote 17/100",
        "Wpłaty na indywidualny rachunek:",
        _spaced_nrb(invoice.bank_account),
        "Bank Testowy",
        "Saldo przed wystawieniem faktury: niedopłata 50,00 zł",
    ]
    missing = [item for item in expected if item not in text]
    assert not missing, f"missing {missing} in:\n{text}"


def test_a4_invoice_lists_each_line_with_unit_quantity_price_net_and_rate(invoice):
    text = pdf_text(render_invoice_pdf(invoice))

    for line in invoice.lines.all():
        quantity = f"{line.quantity:.3f}".replace(".", ",")
        price = f"{line.unit_net_price:.2f}".replace(".", ",")
        net = f"{line.net:.2f}".replace(".", ",")
        row = f"{line.position} {line.description} {line.unit} {quantity} {price} {net} 8%"
        assert row in text, f"{row!r} not in:\n{text}"
    assert "10,000" in text and "6,24" in text and "62,40" in text  # water, §10
    assert "8,000" in text and "8,82" in text and "70,56" in text  # sewage
    assert "1,000" in text and "17,20" in text  # subscription


def _spaced_nrb(nrb: str) -> str:
    return " ".join([nrb[:2]] + [nrb[i : i + 4] for i in range(2, 26, 4)])


def test_document_shows_what_the_invoice_froze_not_todays_master_data(invoice, company):
    before = render_invoice_pdf(invoice)
    customer = invoice.customer
    customer.name = "Someone Else"
    customer.street = "ul. Inna 99"
    customer.save()
    company.legal_name = "Nowa Nazwa Sp. z o.o."
    company.save()
    Tariff.objects.update(water_price=D("99.00"))

    after = render_invoice_pdf(Invoice.objects.get(pk=invoice.pk))

    assert after == before
    assert "Someone Else" not in pdf_text(after)


def test_payment_qr_code_scans_to_the_exact_zbp_string(invoice):
    codes = decode_qr(render_invoice_pdf(invoice))

    assert codes == [f"6572948401|PL|{invoice.bank_account}|016217|Zakład Usług Komunal|FV/2026/000001|||"]
    assert len(invoice.bank_account) == 26


def test_business_invoice_shows_the_buyers_nip(tariff):
    invoice = issue_worked_example(
        tariff, kind=CustomerKind.BUSINESS, name="Piekarnia „Żurawinka” Sp. z o.o.", nip=factories.VALID_NIP
    )  # (the only customer here, so the default meter serials are free)

    text = pdf_text(render_invoice_pdf(invoice))

    assert "Piekarnia „Żurawinka” Sp. z o.o." in text
    assert f"NIP {factories.VALID_NIP}" in text
    assert "NIP 6572948401" in text


def test_english_customer_gets_the_document_in_english(tariff):
    invoice = issue_worked_example(tariff, language="en")  # the only customer of this test

    text = pdf_text(render_invoice_pdf(invoice))

    for item in [
        "VAT invoice",
        "Customer code".upper(),
        "Issue date: 2026-04-02",
        "Due date: 2026-04-16",
        "Amount due: 162.17 PLN",
        "Balance before this invoice: owed 50.00 PLN",
        "sto sześćdziesiąt dwa złote 17/100",  # in words: Polish złoty amounts are written in Polish
    ]:
        assert item in text, f"{item!r} not in:\n{text}"


def test_balance_before_shows_a_credit_as_credit(tariff, company):
    customer = factories.make_customer(name="Anna Nadpłacka")
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2026, 2, 28), has_sewage=False)
    meter = factories.make_meter(point, reading="100")
    with clock.frozen_at(NOW):
        opening_balance_record(actor=SYSTEM, customer=customer, amount=D("-20.00"), on=dt.date(2026, 2, 28))
        readings_submit_for_point(
            actor=SYSTEM,
            service_point=point,
            date=dt.date(2026, 3, 31),
            values={meter.pk: "105"},
            source=Source.PORTAL,
        )
        invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2026, 3, 31))

    text = pdf_text(render_invoice_pdf(invoice))

    assert "Saldo przed wystawieniem faktury: nadpłata 20,00 zł" in text


# --- corrections --------------------------------------------------------------------------------------------


def test_correction_is_marked_and_shows_original_reason_and_before_after_difference(invoice):
    correction = correct_main_meter(invoice, "1208", "Błędnie odczytany stan wodomierza (1210 zamiast 1208)")
    # after: water 8 × 6.24 = 49.92, sewage 6 × 8.82 = 52.92, subscription 17.20 → 120.04 net, VAT 9.60,
    # gross 129.64; difference −30.12 net, −2.41 VAT, −32.53 gross: to be refunded.
    assert (correction.total_net, correction.total_vat, correction.total_gross) == (
        D("-30.12"),
        D("-2.41"),
        D("-32.53"),
    )

    text = pdf_text(render_invoice_pdf(correction))

    for item in [
        "Faktura korygująca – KOREKTA",
        "KOR/2026/000001",
        "Faktura korygowana: FV/2026/000001 z dnia 02.04.2026",
        "Przyczyna korekty: Błędnie odczytany stan wodomierza (1210 zamiast 1208)",
        "Data wystawienia: 07.04.2026",
        "Okres rozliczeniowy: 01.03.2026 – 31.03.2026",
        # per line: before, after, difference (water)
        "10,000 6,24 62,40 8%",
        "po korekcie m³ 8,000 6,24 49,92 8%",
        "różnica m³ -2,000 -12,48 8%",
        # meters before and after
        "WM-MAIN-01 (główny) – przed korektą",
        "WM-MAIN-01 (główny) – po korekcie",
        "1208 (31.03.2026)",
        # VAT per rate before / after / difference, and the totals = the difference
        "8% przed korektą 150,16 12,01 162,17",
        "8% po korekcie 120,04 9,60 129,64",
        "8% różnica -30,12 -2,41 -32,53",
        "Razem (różnica) -30,12 -2,41 -32,53",
        "Do zwrotu: 32,53 zł",
        "Słownie: trzydzieści dwa złote 53/100",
    ]:
        assert item in text, f"{item!r} not in:\n{text}"
    assert decode_qr(render_invoice_pdf(correction)) == []  # nothing to pay: no payment code


def test_correction_with_an_additional_charge_has_a_qr_code_for_the_difference(invoice):
    correction = correct_main_meter(invoice, "1215", "Błędny odczyt")
    # after: water 15 × 6.24 = 93.60, sewage 13 × 8.82 = 114.66, subscription 17.20 → 225.46 net, VAT 18.04,
    # gross 243.50; difference +81.33.
    assert correction.total_gross == D("81.33")

    data = render_invoice_pdf(correction)

    assert "Do zapłaty: 81,33 zł" in pdf_text(data)
    assert decode_qr(data) == [
        f"6572948401|PL|{invoice.bank_account}|008133|Zakład Usług Komunal|KOR/2026/000001|||"
    ]


# --- the receipt --------------------------------------------------------------------------------------------


def test_receipt_is_80_mm_wide_fits_its_content_and_carries_the_same_elements(invoice):
    data = render_receipt_pdf(invoice)

    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(80 * MM, abs=0.01)
    assert 150 * MM < float(box.height) < 600 * MM
    text = pdf_text(data)
    for item in [
        "Faktura VAT",
        "FV/2026/000001",
        "NIP 6572948401",
        "Jan Łosień",
        invoice.customer_code,
        "1200 (28.02.2026)",
        "1210 (31.03.2026)",
        "10,000 m³ × 6,24 62,40 (8%)",
        "Do zapłaty: 162,17 zł",
        "sto sześćdziesiąt dwa złote 17/100",
        "Termin płatności: 16.04.2026",
        _spaced_nrb(invoice.bank_account),
        "niedopłata 50,00 zł",
    ]:
        assert item in text, f"{item!r} not in:\n{text}"
    assert decode_qr(data) == [
        f"6572948401|PL|{invoice.bank_account}|016217|Zakład Usług Komunal|FV/2026/000001|||"
    ]


def test_receipt_of_a_correction_grows_with_its_content(invoice):
    correction = correct_main_meter(invoice, "1208", "Błąd odczytu")

    plain = pypdf.PdfReader(io.BytesIO(render_receipt_pdf(invoice))).pages[0].mediabox
    corrected = pypdf.PdfReader(io.BytesIO(render_receipt_pdf(correction))).pages[0].mediabox

    assert float(corrected.width) == pytest.approx(80 * MM, abs=0.01)
    assert float(corrected.height) > float(plain.height)
    assert "Do zwrotu: 32,53 zł" in pdf_text(render_receipt_pdf(correction))


# --- determinism --------------------------------------------------------------------------------------------


def test_same_invoice_renders_to_the_same_bytes(invoice, tariff):
    other = issue_worked_example(tariff, name="Ewa Żółć", serials=("WM-2", "WM-3"))
    first = render_invoice_pdf(invoice)
    render_invoice_pdf(other)
    reloaded = Invoice.objects.get(pk=invoice.pk)

    assert render_invoice_pdf(reloaded) == first
    assert render_receipt_pdf(reloaded) == render_receipt_pdf(invoice)
    assert render_invoice_pdf(other) != first


def test_letters_beyond_polish_render_too(tariff):
    """Glyphs outside the usual set (fonts are subset per document, the usual set cached) still come out."""
    first = issue_worked_example(tariff, name="Jürgen Müller-Øberg", serials=("WM-A", "WM-B"))
    second = issue_worked_example(tariff, name="Zoë Ñúñez", serials=("WM-C", "WM-D"))

    assert "Jürgen Müller-Øberg" in pdf_text(render_invoice_pdf(first))
    assert "Zoë Ñúñez" in pdf_text(render_invoice_pdf(second))
    assert "Zoë Ñúñez" in pdf_text(render_receipt_pdf(second))


def test_many_lines_flow_onto_a_second_page_with_page_numbers(invoice, monkeypatch):
    from ebok.billing.documents import content

    original = content.invoice_content

    def long(invoice):
        c = original(invoice)
        c.lines = c.lines * 30
        return c

    monkeypatch.setattr("ebok.billing.documents.pdf.invoice_content", long)
    data = render_invoice_pdf(invoice)

    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    assert "Strona 1 z" in reader.pages[0].extract_text()
    assert "Do zapłaty" in reader.pages[-1].extract_text()


# --- amounts in words and the ZBP string --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("162.17", "sto sześćdziesiąt dwa złote 17/100"),
        ("1.00", "jeden złoty 00/100"),
        ("2.50", "dwa złote 50/100"),
        ("5.00", "pięć złotych 00/100"),
        ("12.00", "dwanaście złotych 00/100"),
        ("14.99", "czternaście złotych 99/100"),
        ("22.00", "dwadzieścia dwa złote 00/100"),
        ("0.45", "zero złotych 45/100"),
        ("101.00", "sto jeden złotych 00/100"),
        ("1000.00", "tysiąc złotych 00/100"),
        ("2345.67", "dwa tysiące trzysta czterdzieści pięć złotych 67/100"),
        ("5000.00", "pięć tysięcy złotych 00/100"),
        ("12004.00", "dwanaście tysięcy cztery złote 00/100"),
        ("1000000.00", "milion złotych 00/100"),
        ("-32.53", "trzydzieści dwa złote 53/100"),
    ],
)
def test_amount_in_polish_words(amount, words):
    assert amount_in_words(D(amount)) == words


def test_amount_in_words_can_write_the_grosze_out():
    assert (
        amount_in_words(D("162.17"), grosze_in_words=True)
        == "sto sześćdziesiąt dwa złote siedemnaście groszy"
    )
    assert amount_in_words(D("2.02"), grosze_in_words=True) == "dwa złote dwa grosze"
    assert amount_in_words(D("3.01"), grosze_in_words=True) == "trzy złote jeden grosz"
    assert number_in_words(999_999_999) == (
        "dziewięćset dziewięćdziesiąt dziewięć milionów dziewięćset dziewięćdziesiąt dziewięć tysięcy "
        "dziewięćset dziewięćdziesiąt dziewięć"
    )


def test_zbp_string_fields_are_cut_and_cleaned():
    payload = zbp_payload(
        nip="657-294-84-01",
        account="12345678901234567890123456",
        amount=D("1234.50"),
        recipient="Zakład | Wodociągów   i Kanalizacji",
        title="FV/2026/000001",
    )
    assert payload == "6572948401|PL|12345678901234567890123456|123450|Zakład Wodociągów i|FV/2026/000001|||"
    assert zbp_payload(nip="", account="1" * 26, amount=D("0.00"), recipient="x", title="y") is None
    assert zbp_payload(nip="", account="1" * 26, amount=D("-5.00"), recipient="x", title="y") is None
    assert zbp_payload(nip="", account="1" * 26, amount=D("10000.00"), recipient="x", title="y") is None


# --- the command --------------------------------------------------------------------------------------------


def test_invoice_pdf_command_writes_the_a4_pdf_and_the_receipt(invoice, tmp_path):
    a4 = tmp_path / "invoice.pdf"
    receipt = tmp_path / "receipt.pdf"

    call_command("invoice_pdf", invoice.number, "-o", str(a4))
    call_command("invoice_pdf", invoice.number, "--output", str(receipt), "--receipt")

    assert a4.read_bytes() == render_invoice_pdf(invoice)
    assert receipt.read_bytes() == render_receipt_pdf(invoice)


def test_invoice_pdf_command_refuses_an_unknown_number(db, tmp_path):
    with pytest.raises(CommandError, match=re.escape("No invoice numbered 'FV/1999/000001'")):
        call_command("invoice_pdf", "FV/1999/000001", "-o", str(tmp_path / "x.pdf"))
