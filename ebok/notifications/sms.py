"""SMS sending behind one small interface; off unless EBOK_SMS_PROVIDER is set.

Providers: "console" (logs the text; for development) and "smsapi" (SMSAPI.pl's HTTP API: POST /sms.do with
a Bearer token, answered with JSON). Another gateway is one class with a `send` method.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway did not take the message (network error or an error answer): the outbox retries."""


class SmsProvider(Protocol):
    def send(self, *, to: str, text: str) -> str:
        """Send one SMS; returns the gateway's id of the message. Raises SmsError."""


def normalize_phone(raw: str) -> str | None:
    """A mobile number as digits with the country code (48 for a 9-digit Polish number); None if not one.

    Without "+" or "00" only a Polish number is understood (9 digits, or 11 starting with 48): "0600123456"
    is a typo, not a number in some other country.
    """
    digits = re.sub(r"[\s\-().]", "", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif len(digits) == 9:
        digits = "48" + digits
    elif not (len(digits) == 11 and digits.startswith("48")):
        return None
    if not digits.isdigit() or not 10 <= len(digits) <= 15:
        return None
    if digits.startswith("48") and len(digits) != 11:  # +48 is followed by exactly 9 digits
        return None
    return digits


class ConsoleSms:
    def send(self, *, to: str, text: str) -> str:
        log.info("SMS to %s: %s", to, text.replace("\n", " "))
        return "console"


class SmsApiPl:
    """SMSAPI.pl (https://www.smsapi.pl/docs): form-encoded POST, `format=json`, errors as {"error": n}."""

    def __init__(self, *, url: str, token: str, sender: str = "", timeout: float = 15) -> None:
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("EBOK_SMSAPI_URL must be an http(s) address")
        if not token:
            raise ImproperlyConfigured("EBOK_SMSAPI_TOKEN is required with EBOK_SMS_PROVIDER=smsapi")
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, *, to: str, text: str) -> str:
        fields = {"to": to, "message": text, "format": "json", "encoding": "utf-8"}
        if self.sender:
            fields["from"] = self.sender
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the scheme is checked in __init__  # nosec B310
                answer = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as error:
            raise SmsError(f"HTTP {error.code} from the SMS gateway") from error
        # OSError covers a timeout and a connection reset while reading; HTTPException a truncated answer.
        # Anything escaping here would leave the message "sending" and its attempts uncounted.
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise SmsError(f"SMS gateway unreachable or unreadable: {error}") from error
        if not isinstance(answer, dict):
            raise SmsError(f"unexpected answer from the SMS gateway: {answer!r}")
        if "error" in answer:
            raise SmsError(f"SMS gateway error {answer.get('error')}: {answer.get('message', '')}")
        try:
            return str(answer["list"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            raise SmsError(f"unexpected answer from the SMS gateway: {answer!r}") from error


def provider() -> SmsProvider | None:
    """The configured provider, or None when SMS is off (then no SMS message is queued at all)."""
    name = settings.EBOK_SMS_PROVIDER
    if name == "console":
        return ConsoleSms()
    if name == "smsapi":
        return SmsApiPl(
            url=settings.EBOK_SMSAPI_URL, token=settings.EBOK_SMSAPI_TOKEN, sender=settings.EBOK_SMSAPI_SENDER
        )
    return None
