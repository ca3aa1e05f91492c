"""The public pages (home, help, accessibility statement): open to anonymous visitors in Polish and English,
with the office's phone, the links a new customer needs and the utility's own reading windows."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ebok.company.models import ReadingWindow
from ebok.portal.views.public import HELP_TOPICS

pytestmark = pytest.mark.django_db

PAGES = [
    reverse("portal:home"),
    reverse("portal:accessibility"),
    reverse("portal:help"),
    *(reverse("portal:help_topic", args=[slug]) for slug in HELP_TOPICS),
]


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("url", PAGES)
def test_public_page_in_polish_by_default(client, company, url):
    html = _html(client.get(url))

    assert '<html lang="pl">' in html
    assert company.office_phone in html


@pytest.mark.parametrize("url", PAGES)
def test_public_page_in_english_by_accept_language(client, company, url):
    html = _html(client.get(url, headers={"Accept-Language": "en"}))

    assert '<html lang="en">' in html
    assert company.office_phone in html


@pytest.mark.parametrize("url", PAGES)
def test_public_page_in_english_by_language_cookie(client, company, url):
    client.cookies["django_language"] = "en"

    html = _html(client.get(url))

    assert '<html lang="en">' in html


@pytest.mark.parametrize("url", PAGES)
def test_public_page_works_before_the_utility_is_set_up(client, db, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_public_page_has_one_h1_and_no_inline_styles_or_scripts(client, company, url):
    html = _html(client.get(url, headers={"Accept-Language": "en"}))

    assert html.count("<h1") == 1
    assert "style=" not in html
    assert "<script" not in html


def test_unknown_help_topic_is_404(client, company):
    assert client.get("/help/no-such-topic/").status_code == 404


def test_home_page_links_to_registration_login_and_the_reading_form(client, company):
    html = _html(client.get(reverse("portal:home")))
    content = html[html.index('<main id="main"') :]  # not just the menu of base.html

    for name in ("portal:register", "portal:login", "portal:website_reading"):
        assert f'class="cta" href="{reverse(name)}"' in content


def test_home_page_shows_the_reading_windows_from_the_company_in_english(client, company):
    html = _html(client.get(reverse("portal:home"), headers={"Accept-Language": "en"}))

    assert "Reading round I: from January to the end of April" in html
    assert "Reading round II: from May to the end of August" in html
    assert "Reading round III: from September to the end of December" in html


def test_reading_windows_follow_the_companys_own_rows(client, company):
    ReadingWindow.objects.filter(company=company).delete()
    ReadingWindow.objects.create(
        company=company, ordinal=1, start_month=2, start_day=15, end_month=6, end_day=20
    )
    ReadingWindow.objects.create(company=company, ordinal=2, start_month=7, end_month=1, end_day=31)

    html = _html(
        client.get(reverse("portal:help_topic", args=["reading-windows"]), headers={"Accept-Language": "en"})
    )

    assert "Reading round I: from 15 February to 20 June" in html
    assert "Reading round II: from July to the end of January" in html
    assert "April" not in html


def test_reading_windows_use_localized_month_names(client, company):
    html = _html(client.get(reverse("portal:help_topic", args=["reading-windows"])))

    # Polish month names in the genitive ("od stycznia do końca kwietnia"), whatever the sentence around them.
    for month in ("stycznia", "kwietnia", "maja", "sierpnia", "września", "grudnia"):
        assert month in html
    assert "January" not in html


def test_help_index_lists_every_topic_in_a_labelled_nav(client, company):
    html = _html(client.get(reverse("portal:help"), headers={"Accept-Language": "en"}))

    assert re.search(r'<nav aria-label="[^"]+">', html[html.index('<main id="main"') :])
    for slug, topic in HELP_TOPICS.items():
        assert f'href="{reverse("portal:help_topic", args=[slug])}"' in html
        assert str(topic.title) in html


def test_illustrations_have_an_accessible_name(client, company):
    for slug in ("reading-the-meter", "registration"):
        html = _html(client.get(reverse("portal:help_topic", args=[slug]), headers={"Accept-Language": "en"}))
        svgs = re.findall(r"<svg[^>]*>", html)
        assert svgs
        for svg in svgs:
            assert 'role="img"' in svg
            label = re.search(r'aria-labelledby="([^"]+)"', svg)
            assert label and f'<title id="{label.group(1)}">' in html


def test_meter_illustration_shows_the_black_and_red_digits(client, company):
    html = _html(
        client.get(
            reverse("portal:help_topic", args=["reading-the-meter"]), headers={"Accept-Language": "en"}
        )
    )

    assert "00123 in black and 456 in red" in html
    assert "The reading to write down is 123." in html


def test_registration_help_shows_where_the_customer_code_and_invoice_number_are(client, company):
    html = _html(
        client.get(reverse("portal:help_topic", args=["registration"]), headers={"Accept-Language": "en"})
    )

    assert "CUSTOMER CODE" in html
    assert "FV/2026/000123" in html  # the utility's own numbering pattern
    assert "within 24 hours" in html


def test_faq_has_between_8_and_12_questions(client, company):
    html = _html(client.get(reverse("portal:help_topic", args=["faq"])))

    assert 8 <= html.count("<summary>") <= 12


def test_accessibility_statement_has_the_required_parts(client, company):
    html = _html(client.get(reverse("portal:accessibility"), headers={"Accept-Language": "en"}))

    assert company.legal_name in html
    assert company.email in html
    assert '<time datetime="2026-11-28">' in html
    assert "WCAG" in html
    assert "self-assessment" in html
    assert "7 days" in html and "2 months" in html
    assert "Rzecznik Praw Obywatelskich" in html
    assert "sign language" in html
