"""The public home page in a real browser: no axe-core (WCAG 2.1 A/AA) violation in Polish and English, on
a desktop and a phone, with site.css applied; and usable by keyboard alone."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_accessible, assert_focus_visible, focused, press_tab_until


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_home_page_has_no_accessibility_violations(make_page, company, viewport, language):
    page = make_page(viewport=viewport, language=language)
    css = []
    page.on("response", lambda r: css.append(r) if r.url.endswith("/static/ebok/site.css") else None)

    response = page.goto("/")

    assert response.status == 200
    assert page.get_attribute("html", "lang") == language
    assert company.office_phone in page.inner_text("footer")
    assert [r.status for r in css] == [200]
    # A rule of site.css is in force: the skip link waits off screen until it gets the focus.
    assert page.evaluate("getComputedStyle(document.querySelector('a.skip')).left") == "-999px"
    # WCAG 1.4.10 Reflow: nothing makes the page scroll sideways, on a phone either.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, f"home page ({language}, {viewport})")


def test_home_page_before_the_utility_is_set_up_has_no_accessibility_violations(page):
    page.goto("/")

    assert_accessible(page, "home page without a Company row")


def test_home_page_by_keyboard_alone(page, company):
    page.goto("/")

    skip = press_tab_until(page, selector="a.skip")
    assert (skip.role, skip.name) == ("link", "Przejdź do treści")
    assert_focus_visible(page)
    press_tab_until(page, "English")
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    page.wait_for_selector("html[lang=en]")
    assert page.get_attribute("html", "lang") == "en"
    press_tab_until(page, "Polski")
    assert focused(page).role == "button"
