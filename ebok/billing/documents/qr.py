"""The Polish banks' (ZBP) payment QR code of an invoice (billing-rules §8), and its matrix for drawing.

Format: `NIP|PL|NRB|amount in grosze, 6 digits|recipient name (≤20)|title (≤32)|||`, error correction L,
UTF-8. A banking app that scans it fills in a transfer to the customer's individual account.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import segno

from ebok.common.money import grosze

NAME_LENGTH = 20
TITLE_LENGTH = 32
MAX_GROSZE = 999_999  # six digits: 9 999.99 zł is the most the code can carry
# The mask is fixed rather than chosen by scoring all eight: scoring is most of segno's time (≈ 8 ms of 9 ms
# per code), every decoder reads every mask, and the code is drawn as vectors with a quiet zone, so it scans
# the same. Fixed also means the same bytes for the same invoice on any segno version that keeps the encoding.
MASK = 0


def _field(text: str, length: int) -> str:
    """A free-text field: no separators, single spaces, cut to `length` characters."""
    return " ".join(text.replace("|", " ").split())[:length].rstrip()


def zbp_payload(*, nip: str, account: str, amount: Decimal, recipient: str, title: str) -> str | None:
    """The ZBP string, or None when there is nothing to pay by transfer (zero, a refund, or over 9 999.99 zł)."""
    amount_grosze = grosze(amount)
    if amount_grosze <= 0 or amount_grosze > MAX_GROSZE:
        return None
    nip_digits = "".join(ch for ch in nip if ch.isdigit())
    return (
        f"{nip_digits}|PL|{account}|{amount_grosze:06d}|"
        f"{_field(recipient, NAME_LENGTH)}|{_field(title, TITLE_LENGTH)}|||"
    )


def qr_matrix(payload: str) -> tuple[bytearray, ...]:
    """The QR code's modules (1 = dark), top row first, without the quiet zone (error correction L, UTF-8,
    no ECI)."""
    return segno.make(payload, error="l", boost_error=False, micro=False, encoding="utf-8", mask=MASK).matrix


_DARK_RUN = re.compile(rb"\x01+")


def qr_path(matrix: Sequence[bytes | bytearray]) -> str:
    """PDF path operators that fill the dark modules, one rectangle per horizontal run, in module units with
    (0, 0) at the bottom left. Drawn with one `f` (fill), it is a single vector path: sharp at any zoom and
    much faster to write than one rectangle per module."""
    size = len(matrix)
    ops = []
    for r, row in enumerate(matrix):
        y = size - 1 - r
        ops += [f"{m.start()} {y} {m.end() - m.start()} 1 re" for m in _DARK_RUN.finditer(row)]
    return "\n".join(ops)


def payment_qr_svg(invoice) -> str | None:
    """The invoice's payment QR code as SVG for a screen (the reader shows it to the customer), or None."""
    import io

    payload = zbp_payload(
        nip=invoice.seller.get("nip", ""),
        account=invoice.bank_account,
        amount=invoice.total_gross,
        recipient=invoice.seller.get("name", ""),
        title=invoice.number,
    )
    if payload is None:
        return None
    out = io.BytesIO()
    code = segno.make(payload, error="l", boost_error=False, micro=False, encoding="utf-8", mask=MASK)
    code.save(out, kind="svg", scale=4, border=4, title=f"QR {invoice.number}", svgclass=None, lineclass=None)
    return out.getvalue().decode()
