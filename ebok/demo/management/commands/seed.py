"""`ebok seed --customers N [--years Y] [--seed S]`: a realistic synthetic utility in an empty database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ebok.demo.seeding import SeedError, seed_utility


class Command(BaseCommand):
    help = (
        "Generate a realistic synthetic water utility (customers, meters, readings, invoices, payments) "
        "through the billing services, into an empty database. Deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True, help="number of customers (1–899999)")
        parser.add_argument(
            "--years", type=int, default=2, help="years of history up to 2026-11-15 (default 2)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, customers: int, years: int, seed: int, no_progress: bool, **options):
        try:
            result = seed_utility(customers=customers, years=years, seed=seed, progress=not no_progress)
        except SeedError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(result.summary())
