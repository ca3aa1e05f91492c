"""Session timeouts. Absolute: however active the person is, a login lasts at most
EBOK_SESSION_ABSOLUTE_SECONDS (12 hours by default). Idle: a session ends SESSION_COOKIE_AGE (30 minutes)
after its last refresh, and a logged-in request refreshes it at most once a minute — not on every request,
which would write the session row on every page view (on SQLite every page view would then wait for the
single writer's lock)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth

from ebok.accounts.sessions import LOGIN_AT_KEY

SEEN_AT_KEY = "_ebok_seen_at"
REFRESH_SECONDS = 60


class SessionAgeMiddleware:
    """Log out a session whose login is older than the limit (the time is stamped at login by
    ebok.accounts.auth_events; a logged-in session without the stamp predates it and is logged out too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if auth.SESSION_KEY in session:
            started = session.get(LOGIN_AT_KEY)
            now = int(time.time())
            if not isinstance(started, int) or now - started > settings.EBOK_SESSION_ABSOLUTE_SECONDS:
                request.ebok_logout_reason = "session_expired"
                auth.logout(request)
            elif now - session.get(SEEN_AT_KEY, 0) >= REFRESH_SECONDS:
                session[SEEN_AT_KEY] = now  # modified: saved with a new expiry and its cookie sent again
        return self.get_response(request)
