"""Creating, checking and revoking API tokens; remembering responses to idempotent requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from ebok.accounts.models import User
from ebok.audit.services import audit_log
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.integrations.models import ApiToken, IdempotencyRecord

TOKEN_PREFIX = "ebok_"  # noqa: S105 - a public marker of our tokens, not a secret
IDEMPOTENCY_RETENTION = dt.timedelta(days=2)  # at least the 24 hours interfaces.md promises


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash(plain),
        created_at=clock.now(),
    )
    audit_log(actor=actor, action="api_token.created", obj=token, data={"user": user.username, "name": name})
    return token, plain


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_log(actor=actor, action="api_token.revoked", obj=token, data={"user": token.user.username})


def api_token_user(plain: str) -> User | None:
    """The active user a token belongs to, or None (unknown, revoked, or user deactivated)."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=_hash(plain), revoked_at__isnull=True).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # coarse, to keep reads cheap
    return token.user


def idempotency_purge(*, older_than: dt.timedelta = IDEMPOTENCY_RETENTION) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=clock.now() - older_than).delete()
    return deleted
