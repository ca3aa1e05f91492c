"""`ebok create-api-token USERNAME [--name NAME]`: print a new API token for a staff user."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ebok.accounts.models import User
from ebok.common.actor import CLI
from ebok.integrations.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'accounting export'")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        _token, plain = api_token_create(actor=CLI, user=user, name=name)
        self.stdout.write(plain)
