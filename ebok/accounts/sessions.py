"""Logging in in two steps. After the right password of someone who needs a code, the session only remembers
"password given for user N at time T"; the person is logged in (Django's login: a new session id) when the
code is right. Nobody is ever logged in with the password alone, so no page, API call or app has to check for
a half-finished login.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.accounts.models import User

PENDING_KEY = "ebok_2fa_pending"
LOGIN_AT_KEY = "ebok_login_at"  # when the session's login happened (Unix seconds), for the absolute timeout
# Session ages are wall-clock time, like Django's own session expiry (not ebok.common.clock, which tests and
# the demo seeder move around to replay business days).


def client_ip(request: HttpRequest) -> str:
    # Behind the reverse proxy (docs/deployment.md) REMOTE_ADDR is set from X-Forwarded-For by the proxy.
    return request.META.get("REMOTE_ADDR", "")


def login_pending(request: HttpRequest, user: User, *, next_url: str) -> None:
    """The password was right; the code comes next (or, for staff without a device, setting one up)."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "next": next_url,
    }


def _pending(request: HttpRequest) -> dict | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > settings.EBOK_2FA_PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None
    return pending


def pending_user(request: HttpRequest) -> User | None:
    """The person who gave the right password in this session and now owes the code (None if nobody, or if
    that was more than EBOK_2FA_PENDING_SECONDS ago)."""
    pending = _pending(request)
    if pending is None:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def pending_next(request: HttpRequest) -> str:
    pending = _pending(request)
    return pending.get("next", "") if pending else ""


def login_complete(request: HttpRequest, user: User, device: TOTPDevice) -> None:
    """The code was right: log the pending person in with the device (new session id), or, for a session
    already logged in without the second factor, record the device and change the session id."""
    pending = request.session.pop(PENDING_KEY, None)
    if pending is not None and pending["user"] == user.pk:
        user.otp_device = device  # django-otp's user_logged_in handler stores the device in the session
        auth.login(request, user, backend=pending["backend"])
    else:
        request.session.cycle_key()
        otp_login(request, device)
        from ebok.accounts.auth_events import auth_event

        auth_event(request, action="auth.2fa_verified", user=user)
