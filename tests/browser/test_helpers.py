"""The browser helpers catch what they are meant to catch (so that a passing page test means something)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_accessible, assert_focus_visible, focused, press_tab_until

BAD_PAGE = """<!DOCTYPE html><html><head><title>Bad</title></head><body><main>
<img src="data:," width="10" height="10">
<p style="color:#aaa;background:#fff">Pale text</p>
<input id="n">
</main></body></html>"""

FORM = """<!DOCTYPE html><html lang="en"><head><title>Form</title>
<style>a:focus, input:focus { outline: 3px solid #f9a825 } button:focus { outline: none }</style></head>
<body><main><a href="#x">Skip</a><label for="n">Your name</label><input id="n">
<button>Send</button></main></body></html>"""


def test_axe_reports_every_violation_with_the_failing_element(page):
    page.set_content(BAD_PAGE)

    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page, "bad page")

    report = str(failure.value)
    for rule in ("html-has-lang", "image-alt", "color-contrast", "label"):
        assert rule in report
    assert "[critical] image-alt: Images must have alternative text" in report
    assert '<input id="n">' in report


def test_press_tab_until_finds_by_name_or_selector_and_lists_the_path_when_it_cannot(page):
    page.set_content(FORM)

    assert press_tab_until(page, "Your name").role == "textbox"
    assert_focus_visible(page)
    assert press_tab_until(page, selector="button").name == "Send"
    with pytest.raises(pytest.fail.Exception, match="no focus indicator"):
        assert_focus_visible(page)  # the style above removes the button's outline
    page.keyboard.press("Shift+Tab")
    assert focused(page).name == "Your name"

    with pytest.raises(pytest.fail.Exception) as failure:
        press_tab_until(page, "Nowhere", max_tabs=4)
    assert 'button "Send"' in str(failure.value)
