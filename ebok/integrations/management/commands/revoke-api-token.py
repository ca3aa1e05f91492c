"""`ebok revoke-api-token PREFIX`: revoke a token by the prefix shown when it was created."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ebok.common.actor import CLI
from ebok.integrations.models import ApiToken
from ebok.integrations.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke the API token that starts with PREFIX (e.g. ebok_AbC123)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix: str, **options):
        tokens = list(ApiToken.objects.filter(prefix=prefix[:11], revoked_at__isnull=True))
        if len(tokens) != 1:
            raise CommandError(
                f"{len(tokens)} active tokens match {prefix!r}; give the prefix exactly as printed."
            )
        api_token_revoke(actor=CLI, token=tokens[0])
        self.stdout.write(f"Revoked {tokens[0]}")
