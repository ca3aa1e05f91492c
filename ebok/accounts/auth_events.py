"""The audit trail and the log of authentication: logins (successful and failed), logouts, second-factor
events, password changes and resets, and denied access, each with who, when (UTC) and from which IP.

Logins and logouts come from Django's auth signals, so that every way in (portal, back-office, reader app,
admin) is recorded without each view remembering to. Connected in AccountsConfig.ready().
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest

from ebok.accounts.models import User
from ebok.accounts.sessions import LOGIN_AT_KEY, client_ip
from ebok.audit.models import AuditEntry
from ebok.audit.services import audit_log
from ebok.common import clock
from ebok.common.actor import Actor

logger = logging.getLogger("ebok.auth")

_CHANNELS = {"backoffice": "backoffice", "collector": "collector", "admin": "admin", "api": "api"}


def channel_of(request: HttpRequest | None) -> str:
    """Which door the request came through, from its URL namespace (the portal when unknown)."""
    match = getattr(request, "resolver_match", None)
    namespace = (match.namespace if match else "") or ""
    first = namespace.split(":")[0]
    return "api" if first.startswith("api") else _CHANNELS.get(first, "portal")  # ninja: "api-1.0.0"


def auth_event(
    request: HttpRequest | None,
    *,
    action: str,
    user: User | None = None,
    target: User | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record `action` by `user` (None: someone not logged in) about `target` (default: the user)."""
    ip = (client_ip(request) if request is not None else "") or None
    actor = Actor(user=user if user is not None and user.pk else None, channel=channel_of(request), ip=ip)
    target = target or user
    if target is not None and target.pk:
        audit_log(actor=actor, action=action, obj=target, data=data)
    else:
        # An attempt on an account that does not exist: there is no object to point at.
        AuditEntry.objects.create(
            at=clock.now(),
            actor=None,
            channel=actor.channel,
            action=action,
            object_type="accounts.user",
            object_id="",
            data=data or {},
            ip=ip,
        )
    who = target.get_username() if target is not None else (data or {}).get("username", "")
    logger.info("%s user=%s channel=%s ip=%s", action, who, actor.channel, ip or "-")


def account_for(username: str) -> User | None:
    """The account a login name points at (as EmailOrUsernameBackend finds it), for the audit trail."""
    if not username:
        return None
    return User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).first()


@receiver(user_logged_in, dispatch_uid="ebok_auth_logged_in")
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = int(time.time())
    second_factor = getattr(user, "otp_device", None) is not None
    auth_event(request, action="auth.login", user=user, data={"second_factor": second_factor})


@receiver(user_login_failed, dispatch_uid="ebok_auth_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")[:150]
    auth_event(request, action="auth.login_failed", target=account_for(username), data={"username": username})


@receiver(user_logged_out, dispatch_uid="ebok_auth_logged_out")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, "ebok_logout_reason", "")
    auth_event(request, action="auth.logout", user=user, data={"reason": reason} if reason else None)


def access_denied(request: HttpRequest, *, permission: str = "") -> PermissionDenied:
    """Record a refusal (who tried what from where) and return the 403 to raise: `raise access_denied(...)`."""
    user = request.user if request.user.is_authenticated else None
    auth_event(
        request,
        action="access.denied",
        user=user,
        data={"path": request.path[:200], "method": request.method, "permission": permission},
    )
    return PermissionDenied()
