"""Who is acting and through which channel: passed to every service so that the audit trail can say so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ebok.accounts.models import User


@dataclass(frozen=True, slots=True)
class Actor:
    user: User | None
    channel: str  # portal, website, backoffice, collector, api, cli, system
    ip: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None


SYSTEM = Actor(user=None, channel="system")
CLI = Actor(user=None, channel="cli")
