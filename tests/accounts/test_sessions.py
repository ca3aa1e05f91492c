"""Sessions: a new session id at every login, idle and absolute timeouts, and a password change (or reset) that
logs out every other session of the person."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from ebok.accounts.middleware import SEEN_AT_KEY
from ebok.accounts.sessions import LOGIN_AT_KEY
from ebok.audit.models import AuditEntry
from tests.accounts.conftest import PASSWORD, log_in, logged_in
from tests.twofactor import give_device, totp_code

NEW_PASSWORD = "zielony most nad rzeką"


def session_id(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def english_client() -> Client:
    other = Client()
    other.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return other


def test_logging_in_gives_a_new_session_id(client, cast):
    client.get("/login/")
    client.session.save()  # an anonymous session, as an attacker could plant (session fixation)
    before = session_id(client)

    log_in(client, "customer_a@example.org")

    assert logged_in(client)
    assert session_id(client) != before


def test_the_code_step_gives_a_new_session_id_too(client, cast):
    device = give_device(cast["office_clerk"])
    log_in(client, "office_clerk", path="/staff/login/")
    after_password = session_id(client)

    client.post("/staff/login/code/", {"code": totp_code(device)})

    assert logged_in(client)
    assert session_id(client) != after_password


def test_a_session_ends_after_half_an_hour_without_a_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_activity_refreshes_the_idle_expiry_at_most_once_a_minute(client, cast):
    log_in(client, "customer_a@example.org")
    session = client.session
    session[SEEN_AT_KEY] = int(time.time()) - 61  # last refreshed a minute ago
    session.save()
    stored = Session.objects.get(pk=session.session_key)
    Session.objects.filter(pk=stored.pk).update(expire_date=stored.expire_date - dt.timedelta(minutes=20))

    assert client.get("/panel/").status_code == 200
    refreshed = Session.objects.get(pk=stored.pk).expire_date
    assert refreshed > timezone.now() + dt.timedelta(minutes=29)  # 30 minutes from now again

    assert client.get("/panel/").status_code == 200  # seconds later: the row is not written again
    assert Session.objects.get(pk=stored.pk).expire_date == refreshed


def test_a_login_lasts_at_most_twelve_hours_however_active(client, cast):
    assert settings.EBOK_SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    log_in(client, "customer_a@example.org")
    session = client.session
    started = session[LOGIN_AT_KEY]
    assert abs(started - time.time()) < 60

    session[LOGIN_AT_KEY] = started - 12 * 60 * 60 + 60  # 11 h 59 min ago
    session.save()
    assert client.get("/panel/").status_code == 200

    session = client.session
    session[LOGIN_AT_KEY] = started - 12 * 60 * 60 - 1
    session.save()
    response = client.get("/panel/")

    assert response["Location"].startswith("/login/")
    assert not logged_in(client)
    entry = AuditEntry.objects.filter(action="auth.logout").get()
    assert entry.data == {"reason": "session_expired"}


def test_a_logged_in_session_without_a_login_time_is_ended(client, cast):
    client.force_login(cast["customer_a"])
    session = client.session
    del session[LOGIN_AT_KEY]
    session.save()

    assert client.get("/panel/")["Location"].startswith("/login/")


def test_a_password_change_logs_out_every_other_session_and_says_so(client, cast):
    phone = english_client()
    log_in(phone, "customer_a@example.org")
    log_in(client, "customer_a@example.org")
    assert phone.get("/panel/").status_code == 200

    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "you have been logged out" in response.content.decode()
    assert client.get("/panel/").status_code == 200  # this session stays
    assert phone.get("/panel/")["Location"].startswith("/login/")  # the other one is gone
    assert AuditEntry.objects.filter(action="auth.password_changed", actor=cast["customer_a"]).exists()


def test_a_password_reset_logs_out_every_session(client, cast, django_capture_on_commit_callbacks):
    phone = english_client()
    log_in(phone, "customer_a@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password/reset/", {"email": "customer_a@example.org"})
    path = urlsplit(re.search(r"https?://\S+/password/reset/\S+/\S+/", mail.outbox[0].body).group(0)).path
    form_page = client.get(path, follow=True)

    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert phone.get("/panel/")["Location"].startswith("/login/")
    assert AuditEntry.objects.filter(
        action="auth.password_reset", object_id=str(cast["customer_a"].pk)
    ).exists()


@pytest.mark.parametrize("path", ["/staff/", "/reader/"])
def test_staff_sessions_have_the_same_timeouts(client, cast, path):
    client.force_login(cast["meter_reader"])
    session = client.session
    session[LOGIN_AT_KEY] -= 12 * 60 * 60 + 1
    session.save()

    assert client.get(path)["Location"].startswith(f"{path}login/")
