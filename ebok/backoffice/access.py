"""Staff pages need a staff login with the second factor and the page's permission: anonymous → staff login,
a staff session without the code → the code page, others → 403 (recorded in the audit trail)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from ebok.accounts.auth_events import access_denied
from ebok.accounts.twofactor import is_verified
from ebok.common.actor import Actor


def staff_required(permission: str | None):
    """Staff only; with `permission` ("app.codename") also that permission (None: any staff member)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
            if not request.user.is_staff:
                raise access_denied(request, permission=permission or "")
            if not is_verified(request.user):
                return redirect_to_login(request.get_full_path(), reverse("backoffice:login_code"))
            if permission and not request.user.has_perm(permission):
                raise access_denied(request, permission=permission or "")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_actor(request) -> Actor:
    return Actor(user=request.user, channel="backoffice", ip=request.META.get("REMOTE_ADDR") or None)
