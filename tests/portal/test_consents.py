"""Consents in the portal: every change is a new event with its text version, audited; the latest event wins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from ebok.audit.models import AuditEntry
from ebok.common import clock
from ebok.notifications.models import ConsentEvent, ConsentKind, ConsentMedium
from ebok.notifications.selectors import CONSENT_TEXT_VERSION, MEDIA, has_consent


@pytest.fixture
def client_a(client_a, today):
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client_a


def events_of(customer):
    return list(ConsentEvent.objects.filter(customer=customer).order_by("at", "id"))


def shown_time(moment: dt.datetime) -> str:
    with translation.override("en"):
        return date_filter(timezone.localtime(moment), "j E Y, H:i")


def save_consents(client, *ticked: str, **kwargs):
    # A browser always sends the form's CSRF token, so unticking every box is still a non-empty POST.
    data = {"csrfmiddlewaretoken": "sent-by-the-browser", **dict.fromkeys(ticked, "on")}
    return client.post("/consents/", data, **kwargs)


def test_the_page_offers_every_kind_of_consent_by_every_medium_it_can_use(client_a):
    response = client_a.get("/consents/")

    assert response.status_code == 200
    html = response.content.decode()
    for kind in ConsentKind:
        assert kind in MEDIA
        for medium in MEDIA[kind]:
            assert f'name="{kind.value}__{medium.value}"' in html
    assert 'name="e_invoice__sms"' not in html
    assert "You have not given any consent yet." in html


def test_ticking_a_consent_records_who_gave_it_where_and_which_text(client_a, cast):
    customer = cast["customer_a_record"]

    response = save_consents(client_a, "e_invoice__email")

    assert response["Location"] == "/consents/"
    [event] = events_of(customer)
    assert (event.kind, event.medium, event.given) == (ConsentKind.E_INVOICE, ConsentMedium.EMAIL, True)
    assert event.channel == "portal"
    assert event.text_version == CONSENT_TEXT_VERSION
    assert event.by == cast["customer_a"]
    assert event.at == clock.now()
    [entry] = AuditEntry.objects.filter(action="consent.given")
    assert entry.customer_id == customer.pk
    assert entry.actor == cast["customer_a"]
    assert entry.channel == "portal"
    assert entry.object_id == str(event.pk)
    assert has_consent(customer, ConsentKind.E_INVOICE)


def test_saving_the_same_consents_again_records_nothing(client_a, cast):
    save_consents(client_a, "e_invoice__email")

    response = save_consents(client_a, "e_invoice__email", follow=True)

    assert len(events_of(cast["customer_a_record"])) == 1
    assert AuditEntry.objects.filter(action__startswith="consent.").count() == 1
    assert "Nothing has changed." in response.content.decode()


def test_unticking_records_a_withdrawal_and_the_history_lists_both_with_their_times(client_a, cast):
    customer = cast["customer_a_record"]
    save_consents(client_a, "e_invoice__email", "outage__sms")
    later = clock.now() + dt.timedelta(days=3, hours=2, minutes=17)

    with clock.frozen_at(later):
        save_consents(client_a, "outage__sms")
        response = client_a.get("/consents/")

    given, outage, withdrawn = events_of(customer)
    assert (given.kind, given.given) == (ConsentKind.E_INVOICE, True)
    assert (outage.kind, outage.medium, outage.given) == (ConsentKind.OUTAGE, ConsentMedium.SMS, True)
    assert (withdrawn.kind, withdrawn.medium, withdrawn.given) == (ConsentKind.E_INVOICE, "email", False)
    assert withdrawn.at == later
    assert AuditEntry.objects.filter(action="consent.withdrawn").count() == 1
    html = response.content.decode()
    history = html[html.index("<h2>History</h2>") :]
    assert history.count("<tr>") == 1 + 3  # header and three events
    assert shown_time(given.at) in history
    assert shown_time(later) in history
    assert history.index(shown_time(later)) < history.index(shown_time(given.at))  # newest first
    assert "withdrawn" in history
    assert "given" in history


def test_has_consent_follows_the_latest_event(client_a, cast):
    customer = cast["customer_a_record"]
    assert not has_consent(customer, ConsentKind.MARKETING)

    save_consents(client_a, "marketing__email")
    assert has_consent(customer, ConsentKind.MARKETING)
    assert not has_consent(customer, ConsentKind.MARKETING, ConsentMedium.SMS)

    with clock.frozen_at(clock.now() + dt.timedelta(hours=1)):
        save_consents(client_a)
    assert not has_consent(customer, ConsentKind.MARKETING)

    with clock.frozen_at(clock.now() + dt.timedelta(hours=2)):
        save_consents(client_a, "marketing__email")
    assert has_consent(customer, ConsentKind.MARKETING)


def test_the_consents_of_another_customer_are_not_touched(client_a, cast):
    save_consents(client_a, "e_invoice__email", "payment_due__sms")
    save_consents(client_a)

    customer_b = cast["customer_b_record"]
    assert events_of(customer_b) == []
    assert not has_consent(customer_b, ConsentKind.E_INVOICE)
    assert all(
        entry.customer_id == cast["customer_a_record"].pk
        for entry in AuditEntry.objects.filter(action__startswith="consent.")
    )


def test_anonymous_visitors_are_sent_to_log_in(client, cast):
    response = client.post("/consents/", {"e_invoice__email": "on"})

    assert response["Location"].startswith("/login/")
    assert not ConsentEvent.objects.exists()
