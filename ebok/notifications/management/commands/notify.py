"""`ebok notify`: the scheduled notifications once (for cron, if no `ebok worker` runs them)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ebok.notifications.scheduled import run_scheduled


class Command(BaseCommand):
    help = "Deliver new invoices, reading-window and payment-due reminders, and requeue stuck messages; once."

    def handle(self, *args, **options):
        for name, count in run_scheduled().items():
            self.stdout.write(f"{name}: {count}")
