"""Who is calling: a bearer token (staff, integrations, customers' own scripts) or a portal session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from ebok.accounts.auth_events import access_denied, auth_event
from ebok.accounts.models import User
from ebok.common.actor import Actor
from ebok.integrations.services import api_token_user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        else:  # a token was presented and is unknown, revoked or expired: recorded, never shown
            auth_event(request, action="auth.failed", data={"path": request.path[:200], "api_token": True})
        return user


AUTH = [BearerToken(), django_auth]


def actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, channel="api", ip=request.META.get("REMOTE_ADDR"))


def is_staff(user: User) -> bool:
    return user.is_staff or user.is_superuser


def require(request: HttpRequest, permission: str) -> None:
    """403 unless the caller is staff whose role grants `permission` (e.g. "billing.add_invoice")."""
    user = request.user
    if not (is_staff(user) and user.has_perm(permission)):
        access_denied(request, permission=permission)
        raise HttpError(403, "Your role does not allow this.")


def require_object(request: HttpRequest, permission: str) -> None:
    """Like require, but a non-staff caller gets 404: existence of others' objects is never revealed."""
    from django.http import Http404

    if not is_staff(request.user):
        raise Http404
    require(request, permission)
