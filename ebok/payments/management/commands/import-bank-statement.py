"""`ebok import-bank-statement FILE [--format mt940|csv|...]`: payments from a bank statement."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ebok.common.actor import CLI
from ebok.payments.statements import BANK_FORMATS, statement_import


class Command(BaseCommand):
    help = "Import a bank statement, match payments to customers, report what was not matched."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", default="mt940", choices=sorted(BANK_FORMATS))

    def handle(self, *args, file: Path, format: str, **options):
        try:
            raw = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        report = statement_import(actor=CLI, raw=raw, fmt=BANK_FORMATS[format])
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError("The statement was refused; nothing was imported.")
        self.stdout.write(
            f"{report.transactions} transactions: {report.imported} payments imported ({report.total} zł), "
            f"{report.matched} matched, {report.unmatched} unmatched (waiting for a clerk), "
            f"{report.already_imported} already imported, {report.debits_skipped} debits skipped."
        )
