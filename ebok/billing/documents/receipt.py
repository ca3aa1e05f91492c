"""The same invoice for the meter reader's portable printer: one page 80 mm wide, as tall as its content."""

from __future__ import annotations

from ebok.billing.documents.content import InvoiceContent, Party, invoice_content
from ebok.billing.documents.drawing import BOLD, MM, REGULAR, Sheet, register_fonts, width, wrap
from ebok.billing.documents.qr import qr_matrix
from ebok.billing.models import Invoice

PAGE_WIDTH = 80 * MM
MARGIN = 4 * MM
LEFT = MARGIN
RIGHT = PAGE_WIDTH - MARGIN
ROOM = RIGHT - LEFT
CENTRE = PAGE_WIDTH / 2
QR_SIZE = 42 * MM
GRAY = 0.3


def render_receipt_pdf(invoice: Invoice) -> bytes:
    """The 80 mm receipt PDF of `invoice` in its language. Same invoice, same bytes."""
    return render_receipt(invoice_content(invoice))


class _Roll:
    """A sheet with no page breaks that grows downwards; y starts at 0 and goes negative."""

    def __init__(self) -> None:
        self.sheet = Sheet(PAGE_WIDTH, 0, top=MARGIN, bottom=-1e9)

    @property
    def y(self) -> float:
        return self.sheet.y

    def down(self, points: float) -> None:
        self.sheet.y -= points

    def para(
        self, text: str, *, font: str = REGULAR, size: float = 7.5, align: str = "left", gray: float = 0.0
    ) -> None:
        x = {"left": LEFT, "centre": CENTRE, "right": RIGHT}[align]
        for part in wrap(text, font, size, ROOM):
            self.down(size + 2.5)
            self.sheet.text(x, self.y, part, font=font, size=size, align=align, gray=gray)

    def pair(self, left: str, right: str, *, size: float = 7.5, bold_right: bool = True) -> None:
        """A label on the left and a value on the right of the same line (the value wraps under if long)."""
        font = BOLD if bold_right else REGULAR
        self.down(size + 2.5)
        if width(left, REGULAR, size) + width(right, font, size) + 6 <= ROOM:
            self.sheet.text(LEFT, self.y, left, size=size)
            self.sheet.text(RIGHT, self.y, right, font=font, size=size, align="right")
            return
        self.sheet.text(LEFT, self.y, left, size=size)
        for part in wrap(right, font, size, ROOM):
            self.down(size + 2.5)
            self.sheet.text(RIGHT, self.y, part, font=font, size=size, align="right")

    def rule(self, *, dashed: bool = False) -> None:
        self.down(5)
        dash = " [2 2] 0 d" if dashed else ""
        self.sheet.page.graphics.append(
            f"q 0.4 G 0.5 w{dash} {LEFT:.2f} {self.y:.2f} m {RIGHT:.2f} {self.y:.2f} l S Q"
        )
        self.down(2)

    def party(self, party: Party) -> None:
        self.para(party.heading.upper(), size=6.5, gray=GRAY)
        self.para(party.name, font=BOLD, size=8)
        for line in party.lines:
            self.para(line, size=7.5)


def render_receipt(c: InvoiceContent) -> bytes:
    register_fonts()  # the layout measures text
    roll = _Roll()
    sheet = roll.sheet

    roll.para(c.seller.name, font=BOLD, size=8.5, align="centre")
    for line in c.seller.lines:
        roll.para(line, size=6.5, align="centre")
    roll.rule()
    roll.para(c.title, font=BOLD, size=11, align="centre")
    roll.para(c.number, font=BOLD, size=10, align="centre")
    roll.down(2)
    for label, value in c.facts:
        roll.pair(f"{label}:", value)

    # The customer code, boxed, as on the A4 invoice.
    roll.down(6)
    top = roll.y
    roll.para(c.customer_code_label.upper(), font=BOLD, size=7, align="centre", gray=GRAY)
    roll.down(2)
    roll.para(c.customer_code, font=BOLD, size=16, align="centre")
    roll.down(4)
    sheet.box(LEFT, roll.y, ROOM, top - roll.y, fill=0.94, stroke=0.5)
    roll.down(2)

    roll.party(c.buyer)
    roll.down(3)
    roll.party(c.point)
    for label, value in c.correction:
        roll.down(3)
        roll.para(f"{label}:", font=BOLD, size=7.5)
        roll.para(value, size=7.5)

    if c.meters:
        roll.rule()
        roll.para(c.meters_heading.upper(), font=BOLD, size=7.5)
        _meter, previous, new, consumption = c.meter_headings
        for m in c.meters:
            roll.down(1.5)
            roll.para(f"{m.serial} ({m.role})" + (f" – {m.side}" if m.side else ""), font=BOLD, size=7.5)
            roll.pair(f"{previous}:", m.previous, bold_right=False)
            roll.pair(f"{new}:", m.new, bold_right=False)
            roll.pair(f"{consumption}:", m.consumption)

    roll.rule()
    for row in c.lines:
        roll.down(1.5)
        if row.number or not row.label:
            roll.para(f"{row.number}. {row.description}" if row.number else row.description, size=7.5)
        if row.label:
            roll.para(
                row.label, font=BOLD if row.emphasis else REGULAR, size=7, gray=0.0 if row.emphasis else GRAY
            )
        detail = f"{row.quantity} {row.unit}" + (f" × {row.unit_price}" if row.unit_price else "")
        roll.pair(detail, f"{row.net} ({row.rate})", bold_right=row.emphasis or not row.label)

    roll.rule()
    roll.para(c.vat_heading, font=BOLD, size=7.5)
    columns = (LEFT + ROOM * 0.52, LEFT + ROOM * 0.75, RIGHT)
    roll.down(9)
    sheet.text(LEFT, roll.y, c.vat_headings[0], font=BOLD, size=6.5)
    for x, text in zip(columns, c.vat_short_headings, strict=True):
        sheet.text(x, roll.y, text, font=BOLD, size=6.5, align="right")
    for row in c.vat_rows:
        font = BOLD if row.emphasis else REGULAR
        if width(row.label, font, 7) > ROOM * 0.52 - 40:  # a long label gets a line of its own
            roll.para(row.label, font=font, size=7)
            label = ""
        else:
            label = row.label
        roll.down(9.5)
        sheet.text(LEFT, roll.y, label, font=font, size=7)
        for x, text in zip(columns, (row.net, row.vat, row.gross), strict=True):
            sheet.text(x, roll.y, text, font=font, size=7.5, align="right")

    roll.rule()
    roll.down(4)
    roll.pair(f"{c.due_label}:", c.due_amount, size=12)
    roll.down(2)
    roll.para(f"{c.due_words_label}: {c.due_words}", size=7.5)
    roll.down(2)
    roll.pair(f"{c.facts[-1][0]}:", c.facts[-1][1], size=8.5)
    roll.down(2)
    roll.para(f"{c.account_label}:", size=7, gray=GRAY)
    roll.para(c.account, font=BOLD, size=9)
    if c.bank:
        roll.para(c.bank, size=7, gray=GRAY)
    roll.down(2)
    roll.para(f"{c.balance_label}:", size=7.5)
    roll.para(c.balance, font=BOLD, size=7.5, align="right")
    if c.due_note:
        roll.para(c.due_note, size=7, gray=GRAY)

    if c.qr_payload:
        roll.down(4 + QR_SIZE)
        sheet.qr(CENTRE - QR_SIZE / 2, roll.y, QR_SIZE, qr_matrix(c.qr_payload))
        roll.para(c.qr_caption, size=7, align="centre", gray=GRAY)
    roll.rule(dashed=True)
    roll.para(c.footer, size=6, align="centre", gray=GRAY)

    # The page is exactly as tall as what was drawn: shift everything up onto it.
    height = -roll.y + MARGIN
    sheet.height = height
    sheet.page.graphics.insert(0, f"1 0 0 1 0 {height:.2f} cm")
    return sheet.render(title=f"{c.title} {c.number}", author=c.seller.name)
