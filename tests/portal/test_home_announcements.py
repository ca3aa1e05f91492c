"""The portal's home page tells everyone about water outages and planned works running today or starting within a
week (title, area, dates, text), and shows no such section when there are none."""

from __future__ import annotations

import datetime as dt

import pytest

from ebok.common.actor import SYSTEM
from ebok.notifications.models import AnnouncementScope
from ebok.notifications.services import announcement_create

HEADING = "Outages and planned works"


def announce(title: str, starts_on: dt.date, ends_on: dt.date, **fields):
    values = {"body": "Woda z beczkowozu przy sklepie.\n\nPrzepraszamy.", "scope": AnnouncementScope.EVERYONE}
    values.update(fields)
    return announcement_create(actor=SYSTEM, title=title, starts_on=starts_on, ends_on=ends_on, **values)


def home(client) -> str:
    return client.get("/", headers={"Accept-Language": "en"}).content.decode()


@pytest.fixture
def announcements(company, today):
    return [
        announce(
            "Awaria wodociągu",
            today - dt.timedelta(days=1),
            today,
            scope=AnnouncementScope.STREET,
            city="Piekoszów",
            street="ul. Lipowa",
        ),
        announce("Płukanie sieci", today + dt.timedelta(days=7), today + dt.timedelta(days=7)),
        announce("Skończone prace", today - dt.timedelta(days=5), today - dt.timedelta(days=1)),
        announce("Remont za miesiąc", today + dt.timedelta(days=8), today + dt.timedelta(days=9)),
    ]


def test_the_home_page_shows_outages_running_today_or_starting_within_a_week(client, announcements):
    page = home(client)

    assert HEADING in page
    assert "<h3>Awaria wodociągu</h3>" in page
    assert "<strong>29.06.2025–30.06.2025</strong>, ul. Lipowa, Piekoszów" in page
    assert "<p>Woda z beczkowozu przy sklepie.</p>" in page
    assert "<h3>Płukanie sieci</h3>" in page
    assert "<strong>07.07.2025</strong>, the whole area we serve" in page  # one day: one date
    assert "Skończone prace" not in page
    assert "Remont za miesiąc" not in page
    assert page.index("Awaria wodociągu") < page.index("Płukanie sieci")  # soonest first


def test_the_home_page_has_no_outage_section_when_nothing_is_announced(client, company, today):
    announce("Skończone prace", today - dt.timedelta(days=5), today - dt.timedelta(days=1))

    assert HEADING not in home(client)


def test_the_announcement_text_is_shown_as_text_not_html(client, company, today):
    announce("<b>Uwaga</b>", today, today, body="<script>alert(1)</script>")

    page = home(client)

    assert "&lt;b&gt;Uwaga&lt;/b&gt;" in page
    assert "<script>alert(1)</script>" not in page
