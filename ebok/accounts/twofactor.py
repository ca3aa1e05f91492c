"""Two-step login with time-based codes (TOTP, RFC 6238, by django-otp): required for staff, optional for
customers.

A person has at most one TOTP device. Setting it up creates the device unconfirmed and shows its secret (as a
QR code and as text); the first correct code confirms it. Wrong codes are limited per account and per IP
(ebok.accounts.throttle), and a code is accepted only once (django-otp keeps the last time step used).
Recovery when the phone is lost: an administrator removes the device (`ebok reset-2fa USERNAME`, audited)
and the person sets up a new one at the next login.
"""

from __future__ import annotations

import base64
import io

import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.accounts.models import User
from ebok.accounts.throttle import throttle_check, throttle_hit, throttle_reset
from ebok.audit.services import audit_log
from ebok.common.actor import Actor

DEVICE_NAME = "EBOK"
CODE_SCOPES = ("otp_account", "otp_account_day")


class SecondFactorError(ValueError):
    pass


def device_for(user: User) -> TOTPDevice | None:
    """The person's confirmed TOTP device, or None."""
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()


def second_factor_required(user: User) -> bool:
    """Staff always need the code (and set up a device at their first login); customers if they turned it on."""
    return user.is_staff or device_for(user) is not None


def is_verified(user) -> bool:
    """The session's user gave the second factor (django-otp's OTPMiddleware adds `is_verified`)."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def setup_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up: the same one on every visit, so the QR code does not change."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret as the authenticator apps take it when typed: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice, title: str) -> str:
    """The otpauth:// address of the device as an inline SVG QR code (no style attributes: CSP-clean)."""
    out = io.BytesIO()
    code = segno.make(device.config_url, error="m", micro=False)
    code.save(out, kind="svg", scale=5, border=4, title=title, svgclass="qr", lineclass=None, xmldecl=False)
    return out.getvalue().decode().replace("<svg ", '<svg role="img" ', 1)


def _code_ok(device: TOTPDevice, code: str, *, user: User, ip: str) -> bool:
    """Check the code against the device (locked, so a code can't be used twice at the same moment), counting
    wrong codes per account and IP. Raises Throttled when the limits are used up (before checking)."""
    for scope in CODE_SCOPES:
        throttle_check(scope, str(user.pk))
    throttle_check("otp_ip", ip)
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        ok = locked.verify_token(code)
    if not ok:
        for scope in CODE_SCOPES:
            throttle_hit(scope, str(user.pk))
        throttle_hit("otp_ip", ip)
        return False
    throttle_reset("otp_account", str(user.pk))
    return True


def code_verify(*, actor: Actor, user: User, code: str) -> TOTPDevice | None:
    """The person's device if `code` is its current code; None (audited) if wrong. May raise Throttled."""
    device = device_for(user)
    if device is None:
        return None
    if _code_ok(device, code, user=user, ip=actor.ip or ""):
        device.refresh_from_db()
        return device
    audit_log(actor=actor, action="auth.2fa_failed", obj=user)
    return None


def totp_enable(*, actor: Actor, user: User, code: str) -> TOTPDevice | None:
    """Confirm the device being set up with its first code; None if the code is wrong. May raise Throttled."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None or not _code_ok(device, code, user=user, ip=actor.ip or ""):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        audit_log(actor=actor, action="auth.2fa_enabled", obj=user)
    device.refresh_from_db()
    return device


@transaction.atomic
def totp_disable(*, actor: Actor, user: User) -> None:
    """A customer turns two-step login off (the view asks for the password first). Staff can't."""
    if user.is_staff:
        raise SecondFactorError("two-step login is required for staff")
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        audit_log(actor=actor, action="auth.2fa_disabled", obj=user)


@transaction.atomic
def totp_reset(*, actor: Actor, user: User) -> int:
    """Recovery by an administrator: remove the person's devices and their count of wrong codes, so that they
    set up a new device at the next login. Returns how many devices were removed."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    for scope in CODE_SCOPES:
        throttle_reset(scope, str(user.pk))
    audit_log(actor=actor, action="auth.2fa_reset", obj=user, data={"devices": deleted})
    return deleted
