"""`ebok invoice_pdf NUMBER -o FILE [--receipt]`: write the PDF of an issued invoice or correction invoice.

The A4 document by default, or with --receipt the 80 mm layout of the meter reader's printer. The file is
rendered from the frozen invoice, so it is the same document the customer got (and the same bytes every time).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ebok.billing.documents import render_invoice_pdf, render_receipt_pdf
from ebok.billing.models import Invoice


class Command(BaseCommand):
    help = "Write the PDF of an invoice (A4, or the 80 mm receipt with --receipt) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "number", nargs="?", help="the invoice number, e.g. FV/2025/000001 or KOR/2025/000001"
        )
        parser.add_argument("--first", action="store_true", help="the first invoice issued (for a sample)")
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write ('-' for stdout)")
        parser.add_argument("--receipt", action="store_true", help="the 80 mm receipt layout instead of A4")

    def handle(self, *args, **options) -> None:
        invoices = Invoice.objects.select_related("corrects").prefetch_related("lines", "meter_readings")
        if options["first"]:
            number = "(first)"
            invoice = invoices.filter(kind="invoice").order_by("issued_at", "id").first()
        elif options["number"]:
            number = options["number"].strip()
            invoice = invoices.filter(number=number).first()
        else:
            raise CommandError("Give an invoice NUMBER or --first.")
        if invoice is None:
            raise CommandError(f"No invoice numbered {number!r}.")
        data = render_receipt_pdf(invoice) if options["receipt"] else render_invoice_pdf(invoice)
        output = options["output"]
        if output == "-":
            sys.stdout.buffer.write(data)  # binary, unlike self.stdout.write
            sys.stdout.buffer.flush()
            return
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {output}: the directory {path.parent} does not exist.")
        # Written to a temporary file and renamed, so an interrupted run never leaves half a PDF behind.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        layout = "80 mm receipt" if options["receipt"] else "A4"
        self.stdout.write(f"Wrote {path} ({layout}, {len(data)} bytes): {invoice.number}.")
