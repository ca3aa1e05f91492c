"""`ebok reset-2fa USERNAME`: remove a person's two-step login device (lost or replaced phone), audited."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from ebok.accounts.models import User
from ebok.accounts.twofactor import totp_reset
from ebok.common.actor import CLI


class Command(BaseCommand):
    help = (
        "Remove the authenticator device of USERNAME (or e-mail address) after checking who is asking. "
        "Staff set up a new one at their next login; customers log in with the password and may turn "
        "two-step login on again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        removed = totp_reset(actor=CLI, user=user)
        self.stdout.write(
            f"Removed {removed} two-step login device(s) of {user.get_username()}; recorded in the audit trail."
        )
