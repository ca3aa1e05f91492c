"""The A4 PDF of an invoice or a correction invoice (billing-rules §7), drawn from the frozen invoice only."""

from __future__ import annotations

from reportlab.lib.pagesizes import A4

from ebok.billing.documents.content import InvoiceContent, LineRow, invoice_content
from ebok.billing.documents.drawing import BOLD, REGULAR, Page, Sheet, fit, register_fonts, width, wrap
from ebok.billing.documents.qr import qr_matrix
from ebok.billing.models import Invoice

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 40.0
RIGHT = PAGE_WIDTH - 40.0
TOP = 40.0
BOTTOM = 60.0
MID = 318.0  # left edge of the right-hand column
LEADING = 10.5
HEADER_GRAY = 0.92
LABEL_GRAY = 0.35
QR_SIZE = 100.0


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The A4 PDF of `invoice` in its language. Same invoice, same bytes."""
    return render_a4(invoice_content(invoice))


def _block(sheet: Sheet, x: float, y: float, room: float, heading: str, name: str, lines: list[str]) -> float:
    """A labelled block (seller, buyer, service point); returns the y below it."""
    sheet.text(x, y, heading.upper(), size=7, gray=LABEL_GRAY)
    y -= 12
    for part in wrap(name, BOLD, 10, room):
        sheet.text(x, y, part, font=BOLD, size=10)
        y -= 12.5
    for line in lines:
        for part in wrap(line, REGULAR, 8.5, room):
            sheet.text(x, y, part, size=8.5)
            y -= LEADING
    return y


def _header(sheet: Sheet, c: InvoiceContent) -> None:
    y = sheet.y
    left_y = _block(sheet, LEFT, y, MID - LEFT - 20, c.seller.heading, c.seller.name, c.seller.lines)

    right_y = y - 6
    size = 15.0
    while size > 12 and width(c.title, BOLD, size) > RIGHT - MID:  # one line if it can be read at 12 pt
        size -= 0.5
    for part in wrap(c.title, BOLD, size, RIGHT - MID):
        sheet.text(RIGHT, right_y, part, font=BOLD, size=size, align="right")
        right_y -= size + 3
    sheet.text(RIGHT, right_y, c.number, font=BOLD, size=12, align="right")
    right_y -= 18
    for label, value in c.facts:
        sheet.text(MID, right_y, f"{label}:", size=9, gray=LABEL_GRAY)
        sheet.text(RIGHT, right_y, value, font=BOLD, size=9, align="right")
        right_y -= 12.5
    sheet.y = min(left_y, right_y) - 6
    sheet.line(LEFT, sheet.y, RIGHT, sheet.y, weight=0.6, gray=0.6)
    sheet.y -= 16


def _parties(sheet: Sheet, c: InvoiceContent) -> None:
    y = sheet.y
    left_y = _block(sheet, LEFT, y, MID - LEFT - 20, c.buyer.heading, c.buyer.name, c.buyer.lines)
    left_y = _block(sheet, LEFT, left_y - 8, MID - LEFT - 20, c.point.heading, c.point.name, c.point.lines)

    # The customer code, prominently: customers look for it when they register in the portal.
    room = RIGHT - MID
    hint = wrap(c.customer_code_hint, REGULAR, 7, room - 16)
    height = 52 + 9 * len(hint)
    sheet.box(MID, y - height + 8, room, height, fill=0.94, stroke=0.55, weight=0.8)
    sheet.text(MID + 8, y - 5, c.customer_code_label.upper(), font=BOLD, size=8, gray=LABEL_GRAY)
    sheet.text(MID + 8, y - 30, c.customer_code, font=BOLD, size=22)
    hint_y = y - 44
    for part in hint:
        sheet.text(MID + 8, hint_y, part, size=7, gray=LABEL_GRAY)
        hint_y -= 9
    sheet.y = min(left_y, y - height + 8) - 8


def _correction(sheet: Sheet, c: InvoiceContent) -> None:
    if not c.correction:
        return
    parts = []
    for label, value in c.correction:
        parts.append((label, wrap(value, REGULAR, 9, RIGHT - LEFT - 150)))
    height = sum(11 * len(lines) for _label, lines in parts) + 12
    sheet.need(height + 6)
    top = sheet.y + 4
    sheet.box(LEFT, top - height, RIGHT - LEFT, height, fill=0.96, stroke=0.55)
    y = top - 12
    for label, lines in parts:
        sheet.text(LEFT + 8, y, f"{label}:", font=BOLD, size=9)
        for line in lines:
            sheet.text(LEFT + 150, y, line, size=9)
            y -= 11
    sheet.y = top - height - 14


def _table_header(
    sheet: Sheet, columns: list[tuple[float, str, str]], x0: float = LEFT, x1: float = RIGHT
) -> None:
    """A grey header row; columns are (x, align, text)."""
    sheet.box(x0, sheet.y - 4, x1 - x0, 14, fill=HEADER_GRAY, stroke=None)
    for x, align, text in columns:
        sheet.text(x, sheet.y, text, font=BOLD, size=7, align=align)
    sheet.y -= 14


def _meters(sheet: Sheet, c: InvoiceContent) -> None:
    if not c.meters:
        return
    sheet.need(40)
    sheet.text(LEFT, sheet.y, c.meters_heading, font=BOLD, size=9)
    sheet.y -= 14
    meter, previous, new, consumption = c.meter_headings
    columns = [
        (LEFT + 4, "left", meter),
        (250, "left", previous),
        (385, "left", new),
        (RIGHT - 4, "right", consumption),
    ]

    def header() -> None:
        _table_header(sheet, columns)

    header()
    sheet.on_new_page = header
    for m in c.meters:
        sheet.need(12)
        label = f"{m.serial} ({m.role})" + (f" – {m.side}" if m.side else "")
        sheet.text(LEFT + 4, sheet.y, fit(label, REGULAR, 8, 200), size=8)
        sheet.text(250, sheet.y, m.previous, size=8)
        sheet.text(385, sheet.y, m.new, size=8)
        sheet.text(RIGHT - 4, sheet.y, m.consumption, font=BOLD, size=8, align="right")
        sheet.y -= 12
    sheet.on_new_page = None
    sheet.y -= 10


# Lines table: (x, align) of item, description, unit, quantity, unit price, net, VAT rate.
_COLS = [
    (LEFT + 11, "centre"),
    (LEFT + 26, "left"),
    (300, "centre"),
    (365, "right"),
    (435, "right"),
    (500, "right"),
    (RIGHT - 4, "right"),
]
DESCRIPTION_ROOM = 300 - 18 - (LEFT + 26)


def _line_row(sheet: Sheet, row: LineRow, *, separate: bool) -> None:
    font = BOLD if row.emphasis else REGULAR
    if row.number or not row.label:
        description = wrap(row.description, REGULAR, 8, DESCRIPTION_ROOM)
        if row.label:
            description.append(row.label)
    else:
        description = [row.label]
    height = 11 * len(description) + 2
    if not sheet.need(height) and separate:
        sheet.line(LEFT, sheet.y + 9, RIGHT, sheet.y + 9, weight=0.3, gray=0.75)
    y = sheet.y
    sheet.text(_COLS[0][0], y, row.number, size=8, align="centre")
    for i, part in enumerate(description):
        is_label = row.label and part == row.label and i == len(description) - 1
        sheet.text(
            _COLS[1][0],
            y - 11 * i,
            part,
            font=font if is_label else REGULAR,
            size=7.5 if is_label else 8,
            gray=0.0 if (row.emphasis or not is_label) else LABEL_GRAY,
        )
    values = [row.unit, row.quantity, row.unit_price, row.net, row.rate]
    for (x, align), value in zip(_COLS[2:], values, strict=True):
        sheet.text(x, y, value, font=font, size=8, align=align)
    sheet.y -= height


def _lines(sheet: Sheet, c: InvoiceContent) -> None:
    sheet.need(40)
    columns = [(x, align, text) for (x, align), text in zip(_COLS, c.line_headings, strict=True)]

    def header() -> None:
        _table_header(sheet, columns)

    header()
    sheet.on_new_page = header
    for i, row in enumerate(c.lines):
        _line_row(sheet, row, separate=c.is_correction and i > 0 and bool(row.number))
    sheet.on_new_page = None
    sheet.line(LEFT, sheet.y + 8, RIGHT, sheet.y + 8, weight=0.5, gray=0.5)
    sheet.y -= 8


VAT_LEFT = 300.0
DUE_ROOM = VAT_LEFT - LEFT - 24


def _vat_height(c: InvoiceContent) -> float:
    return 28 + 12 * len(c.vat_rows)


def _vat(sheet: Sheet, c: InvoiceContent, top: float) -> float:
    """The VAT summary per rate in the right-hand column from `top` down; returns the y below it."""
    x0 = VAT_LEFT
    y = top
    sheet.text(x0, y, c.vat_heading, font=BOLD, size=9)
    y -= 14
    rate, net, vat, gross = c.vat_headings
    cols = [(x0 + 4, "left"), (420, "right"), (485, "right"), (RIGHT - 4, "right")]
    sheet.box(x0, y - 4, RIGHT - x0, 14, fill=HEADER_GRAY, stroke=None)
    for (x, align), text in zip(cols, (rate, net, vat, gross), strict=True):
        sheet.text(x, y, text, font=BOLD, size=7, align=align)
    y -= 14
    for row in c.vat_rows:
        font = BOLD if row.emphasis else REGULAR
        if row is c.vat_rows[-1]:
            sheet.line(x0, y + 9, RIGHT, y + 9, weight=0.5, gray=0.5)
        for (x, align), value in zip(cols, (row.label, row.net, row.vat, row.gross), strict=True):
            sheet.text(x, y, value, font=font, size=8, align=align)
        y -= 12
    return y


def _due(sheet: Sheet, c: InvoiceContent, top: float, words: list[str], note: list[str]) -> float:
    """Amount due in figures and words, due date and the balance before, in the left-hand column."""
    x = LEFT
    right = LEFT + DUE_ROOM
    y = top
    sheet.text(x, y, f"{c.due_label}:", font=BOLD, size=11)
    y -= 22
    sheet.text(right, y, c.due_amount, font=BOLD, size=20, align="right")
    y -= 14
    for part in words:
        sheet.text(x, y, part, size=8.5)
        y -= 11
    y -= 4
    due_label, due_value = c.facts[-1]
    sheet.text(x, y, f"{due_label}:", size=9)
    sheet.text(right, y, due_value, font=BOLD, size=10, align="right")
    y -= 15
    sheet.text(x, y, f"{c.balance_label}:", size=8)
    y -= 11
    sheet.text(right, y, c.balance, font=BOLD, size=8.5, align="right")
    y -= 12
    for part in note:
        sheet.text(x, y, part, size=7.5, gray=LABEL_GRAY)
        y -= 10
    return y


def _totals(sheet: Sheet, c: InvoiceContent) -> None:
    """The VAT summary beside the amount due, then the payment box with the account and the QR code."""
    words = wrap(f"{c.due_words_label}: {c.due_words}", REGULAR, 8.5, DUE_ROOM)
    note = wrap(c.due_note, REGULAR, 7.5, DUE_ROOM) if c.due_note else []
    due_height = 22 + 14 + 11 * len(words) + 4 + 15 + 11 + 12 + 10 * len(note)
    sheet.need(max(_vat_height(c), due_height) + 4)
    top = sheet.y
    sheet.y = min(_vat(sheet, c, top), _due(sheet, c, top, words, note)) - 8

    caption = wrap(c.qr_caption, REGULAR, 7.5, RIGHT - LEFT - QR_SIZE - 40)
    height = QR_SIZE + 8 if c.qr_payload else 62
    sheet.need(height + 4)
    top = sheet.y + 4
    sheet.box(LEFT, top - height, RIGHT - LEFT, height, stroke=0.35, weight=1.0)
    x = LEFT + 10
    y = top - 18
    sheet.text(x, y, f"{c.account_label}:", size=8.5, gray=LABEL_GRAY)
    y -= 20
    sheet.text(x, y, c.account, font=BOLD, size=14)
    y -= 14
    if c.bank:
        sheet.text(x, y, c.bank, size=8, gray=LABEL_GRAY)
        y -= 11
    if c.qr_payload:
        y -= 8
        for part in caption:
            sheet.text(x, y, part, size=7.5, gray=LABEL_GRAY)
            y -= 10
        sheet.qr(RIGHT - 4 - QR_SIZE, top - 4 - QR_SIZE, QR_SIZE, qr_matrix(c.qr_payload))
    sheet.y = top - height - 10


def render_a4(c: InvoiceContent) -> bytes:
    register_fonts()  # the layout measures text
    sheet = Sheet(PAGE_WIDTH, PAGE_HEIGHT, top=TOP, bottom=BOTTOM)
    _header(sheet, c)
    _parties(sheet, c)
    _correction(sheet, c)
    _meters(sheet, c)
    _lines(sheet, c)
    _totals(sheet, c)

    def footer(page: Page, index: int, count: int) -> None:
        y = BOTTOM - 24
        page.graphics.append(f"q 0.6 G 0.5 w {LEFT} {y + 10} m {RIGHT} {y + 10} l S Q")
        page.text(LEFT, y, c.footer, size=7, gray=LABEL_GRAY)
        page.text(
            RIGHT,
            y,
            c.page_label % {"page": index + 1, "pages": count},
            size=7,
            align="right",
            gray=LABEL_GRAY,
        )
        if index:
            page.text(
                RIGHT, PAGE_HEIGHT - TOP + 14, f"{c.title} {c.number}", size=7, align="right", gray=LABEL_GRAY
            )

    return sheet.render(title=f"{c.title} {c.number}", author=c.seller.name, footer=footer)
