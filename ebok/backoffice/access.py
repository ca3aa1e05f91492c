"""Staff pages need a staff login with the page's permission: anonymous → staff login, others → 403."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ebok.common.actor import Actor


def staff_required(permission: str | None):
    """Staff only; with `permission` ("app.codename") also that permission (None: any staff member)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
            if not request.user.is_staff or (permission and not request.user.has_perm(permission)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_actor(request) -> Actor:
    return Actor(user=request.user, channel="backoffice", ip=request.META.get("REMOTE_ADDR") or None)
