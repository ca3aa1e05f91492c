"""Log in with the e-mail address (any letter case) or the username: portal customers know their e-mail."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from ebok.accounts.models import User


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            match = (
                User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username))
                .values_list("username", flat=True)
                .first()
            )
            username = match or username  # unknown: ModelBackend still runs the hasher (similar timing)
        return super().authenticate(request, username=username, password=password, **kwargs)
