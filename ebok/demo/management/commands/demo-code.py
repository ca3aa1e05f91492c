"""`ebok demo-code`: the current two-step login code of the demo's staff logins (demo databases only)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ebok.demo.seeding import DemoRefused, demo_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff logins (refused outside the demo utility)."

    def handle(self, *args, **options):
        try:
            self.stdout.write(demo_code())
        except DemoRefused as error:
            raise CommandError(str(error)) from None
