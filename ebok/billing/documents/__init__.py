"""Renderings of a frozen invoice: the A4 PDF, the 80 mm receipt, and the KSeF FA(3) structured invoice.

Every rendering reads only what the invoice froze when it was issued; none recomputes it from master data.
"""

from __future__ import annotations

from ebok.billing.documents.ksef import invoice_to_fa3, validate_fa3
from ebok.billing.documents.pdf import render_invoice_pdf
from ebok.billing.documents.receipt import render_receipt_pdf

__all__ = ["invoice_to_fa3", "render_invoice_pdf", "render_receipt_pdf", "validate_fa3"]
