"""Two-step login in tests: give someone an authenticator device, compute the code their phone would show, and
mark a test client's session as having given it.

Staff pages need the second factor (ebok/accounts/twofactor.py). `client.force_login(staff_user)` in any test
gives it too (see tests/conftest.py: `_staff_force_login_gives_the_code`), as if the person had typed the
code at /staff/login/; tests that drive the login forms type a real code with `totp_code`.
"""

from __future__ import annotations

import base64

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.accounts.twofactor import DEVICE_NAME

# Django's own force_login, before tests/conftest.py wraps it: a login without the second factor.
django_force_login = Client.force_login


def give_device(user) -> TOTPDevice:
    """The user's confirmed TOTP device (created if they have none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the phone shows now; if this device has already used the current time step (a second login
    within 30 s), the next step's code, which the server also accepts (tolerance of one step)."""
    device.refresh_from_db()
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = max(generator.t(), device.last_t + 1)  # t() counts in the device's drift, like the server
    generator.time = device.t0 + (step - device.drift) * device.step  # (oath.totp would read the clock)
    return f"{generator.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A 6-digit code that is not any of the codes the server accepts now."""
    return f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"


def code_for_secret(secret: str) -> str:
    """What an authenticator app shows after the person typed the secret from the set-up page ("ABCD EFGH …")."""
    plain = secret.replace(" ", "")
    key = base64.b32decode(plain + "=" * (-len(plain) % 8))
    return f"{TOTP(key).token():06d}"


def verify_session(client: Client, user) -> None:
    """Mark the client's logged-in session as having given the second factor with the user's device."""
    device = give_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def force_login_unverified(client: Client, user) -> None:
    """Log in without the second factor (to test what such a session may do)."""
    django_force_login(client, user)
