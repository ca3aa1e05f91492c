"""`ebok demo [--port N] [--customers N]`: migrate, seed if empty, create the demo logins, serve on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ebok.customers.models import Customer
from ebok.demo.seeding import (
    DEMO_TOTP_SECRET,
    DemoRefused,
    SeedError,
    database_totals,
    ensure_demo_users,
    seed_utility,
)


class Command(BaseCommand):
    help = (
        "Run a demonstration: create or migrate the database (SQLite under ./var/ or EBOK_DATA_DIR), load demo "
        "data if it is empty, make sure the demo logins exist, print them and serve on 127.0.0.1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
        parser.add_argument(
            "--customers", type=int, default=300, help="customers to seed if empty (default 300)"
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the database and logins, then stop"
        )

    def handle(self, *args, port: int, customers: int, no_serve: bool = False, **options):
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        if not Customer.objects.exists():
            self.stdout.write(
                f"The database is empty: seeding {customers} customers with 2 years of history…"
            )
            try:
                result = seed_utility(customers=customers, years=2, seed=1, progress=True)
            except SeedError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(result.summary())
        try:
            logins = ensure_demo_users()
        except DemoRefused as error:
            raise CommandError(str(error)) from None
        totals = database_totals()
        url = f"http://127.0.0.1:{port}/"
        width = max(len(username) for _label, username, _password in logins) if logins else 10
        rule = "=" * 78
        lines = [
            "",
            rule,
            f"  EBOK demo – {totals['customers']} customers, {totals['invoices']} invoices (fictitious data)",
            f"  Portal: {url}   Staff: {url}staff/   API: {url}api/v1/docs   (emergency admin: {url}admin/)",
            "",
            f"  {'username':<{width}}  {'password':<20}  role",
        ]
        for label, username, password in logins:
            lines.append(f"  {username:<{width}}  {password:<20}  {label}")
        lines += [
            "",
            "  Staff also give a two-step login code: add the secret below to an authenticator app,",
            f"  or run `.venv/bin/ebok demo-code` for the current one.  Secret: {DEMO_TOTP_SECRET}",
            rule,
            "",
        ]
        self.stdout.write("\n".join(lines))
        if no_serve:
            return
        # The background worker sends the portal's e-mails (printed here unless EBOK_EMAIL_HOST is set).
        worker = subprocess.Popen([sys.executable, "-m", "ebok", "worker", "--interval", "0.5"])  # noqa: S603
        self.stdout.write(f"Background worker started (pid {worker.pid}).")
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
