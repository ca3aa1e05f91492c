"""Rate limits with a cool-off: attempts are counted per scope and key (an e-mail or IP, hashed) in a window.

Stored in the database so that every web worker sees the same counts, with no extra server. A limit only
delays: once the window has passed the attempts no longer count, so nobody can lock an account for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.conf import settings

from ebok.accounts.models import ThrottleEvent
from ebok.common import clock


@dataclass(frozen=True, slots=True)
class Limit:
    attempts: int
    window: dt.timedelta


LIMITS = {
    # Failed logins per account (the typed e-mail or username, known or not) and per IP address.
    "login_account": Limit(5, dt.timedelta(minutes=15)),
    "login_ip": Limit(30, dt.timedelta(minutes=15)),
    # Wrong two-step codes (TOTP, 6 digits; about 3 of the 10^6 codes are accepted at any moment). Per account
    # at most 5 guesses a quarter-hour and 10 a day: 3,650 guesses a year, a 1.1 % chance for someone who
    # already has the password and guesses all year long, while every guess is in the audit trail.
    "otp_account": Limit(5, dt.timedelta(minutes=15)),
    "otp_account_day": Limit(10, dt.timedelta(hours=24)),
    "otp_ip": Limit(30, dt.timedelta(minutes=15)),
    "register_ip": Limit(10, dt.timedelta(hours=1)),
    "register_code": Limit(5, dt.timedelta(hours=1)),
    "register_email": Limit(5, dt.timedelta(hours=1)),
    "password_reset_ip": Limit(10, dt.timedelta(hours=1)),
    "password_reset_account": Limit(5, dt.timedelta(hours=1)),  # per typed e-mail, known or not
    "website_reading_ip": Limit(20, dt.timedelta(hours=1)),
    "website_reading_code": Limit(10, dt.timedelta(hours=1)),
}


class Throttled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after  # seconds
        super().__init__(f"retry after {retry_after} s")

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def _hash(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value.strip().lower()}".encode()).hexdigest()


def throttle_check(scope: str, value: str) -> None:
    """Raise Throttled if `value` has used up its attempts in `scope`."""
    limit = LIMITS[scope]
    since = clock.now() - limit.window
    times = list(
        ThrottleEvent.objects.filter(scope=scope, key=_hash(value), at__gt=since)
        .order_by("-at")
        .values_list("at", flat=True)[: limit.attempts]
    )
    if len(times) >= limit.attempts:
        oldest_counted = times[-1]
        raise Throttled(max(1, int((oldest_counted + limit.window - clock.now()).total_seconds())))


def throttle_hit(scope: str, value: str) -> None:
    """Count one attempt (and forget this key's attempts that fell out of the window)."""
    limit = LIMITS[scope]
    key = _hash(value)
    now = clock.now()
    ThrottleEvent.objects.filter(scope=scope, key=key, at__lte=now - limit.window).delete()
    ThrottleEvent.objects.create(scope=scope, key=key, at=now)


def throttle_reset(scope: str, value: str) -> None:
    ThrottleEvent.objects.filter(scope=scope, key=_hash(value)).delete()
