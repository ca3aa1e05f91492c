"""`ebok import-customers FILE`: move customers over from the old system (format in the README)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ebok.common.actor import CLI
from ebok.customers.imports import customers_import_csv


class Command(BaseCommand):
    help = (
        "Import customers, service points, meters, opening readings and balances from CSV (all or nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--encoding", default="utf-8-sig", help="file encoding (default UTF-8; e.g. cp1250)"
        )

    def handle(self, *args, file: Path, encoding: str, **options):
        try:
            with file.open(encoding=encoding, newline="") as stream:
                report = customers_import_csv(actor=CLI, stream=stream)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        if not report.ok:
            for line, column, message in report.errors:
                self.stderr.write(f"line {line}: {column}: {message}")
            raise CommandError(f"{len(report.errors)} rejected row(s); nothing was imported.")
        self.stdout.write(
            f"Imported {report.customers} customers, {report.points} service points, {report.meters} meters, "
            f"{report.balances} opening balances."
        )
