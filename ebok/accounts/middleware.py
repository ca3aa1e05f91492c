"""The absolute session timeout: however active the person is, a login lasts at most
EBOK_SESSION_ABSOLUTE_SECONDS (12 hours by default). The idle timeout is Django's SESSION_COOKIE_AGE."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth

from ebok.accounts.sessions import LOGIN_AT_KEY


class SessionAgeMiddleware:
    """Log out a session whose login is older than the limit (the time is stamped at login by
    ebok.accounts.auth_events; a logged-in session without the stamp predates it and is logged out too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if auth.SESSION_KEY in session:
            started = session.get(LOGIN_AT_KEY)
            if not isinstance(started, int) or time.time() - started > settings.EBOK_SESSION_ABSOLUTE_SECONDS:
                request.ebok_logout_reason = "session_expired"
                auth.logout(request)
        return self.get_response(request)
