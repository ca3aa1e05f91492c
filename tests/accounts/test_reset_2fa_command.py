"""Recovery of a lost phone: an administrator runs `ebok reset-2fa USERNAME` (audited); at the next login the
person sets up a new device."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.accounts.throttle import LIMITS, throttle_hit
from ebok.audit.models import AuditEntry
from tests.accounts.conftest import log_in
from tests.twofactor import give_device


def test_reset_removes_the_device_and_the_next_login_sets_up_a_new_one(client, cast, capsys):
    clerk = cast["office_clerk"]
    give_device(clerk)

    call_command("reset-2fa", "OFFICE_CLERK")

    assert "Removed 1 two-step login device(s) of office_clerk" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    entry = AuditEntry.objects.get(action="auth.2fa_reset")
    assert (entry.channel, entry.object_id, entry.data) == ("cli", str(clerk.pk), {"devices": 1})
    assert log_in(client, "office_clerk", path="/staff/login/")["Location"] == "/staff/login/setup/"


def test_reset_also_forgets_the_wrong_codes(cast):
    clerk = cast["office_clerk"]
    for _ in range(LIMITS["otp_account_day"].attempts):
        throttle_hit("otp_account_day", str(clerk.pk))

    call_command("reset-2fa", "office_clerk")

    from ebok.accounts.throttle import throttle_check

    throttle_check("otp_account_day", str(clerk.pk))  # no Throttled


def test_reset_finds_a_customer_by_e_mail_address(cast):
    give_device(cast["customer_a"])

    call_command("reset-2fa", "Customer_A@example.org")

    assert not TOTPDevice.objects.filter(user=cast["customer_a"]).exists()


def test_reset_of_an_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("reset-2fa", "nobody")
