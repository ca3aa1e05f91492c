"""Real-browser tests: headless Chromium (Debian's, not a Playwright download) against pytest-django's live server.

Fixtures:
- `browser` — one headless Chromium for all of tests/browser (package scope: it is started before the first
  browser test and stopped after the last one, see `browser` for why). Chromium is /usr/bin/chromium, or
  the path in EBOK_CHROMIUM. Without the playwright package or the binary every browser test is skipped
  with the reason (and EBOK_NO_SKIPS=1, as in CI, turns that skip into a failure: tests/conftest.py).
- `make_page(viewport="desktop"|"phone", language="pl"|"en", **context_options)` — a new page in its own
  browser context (own cookies), with `base_url` set to the live server, so `page.goto("/")` works.
- `page` — `make_page()`: desktop (1280×800), Polish.

Every test here uses `live_server`, hence `transactional_db`: data made in the test (e.g. the `company`
fixture) is committed so that the server thread sees it, and the tables are emptied after the test.
Helpers (axe-core, keyboard, focus indicator) are plain functions in tests/browser/helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the dev extra is not installed: the tests skip (see `browser`)
    sync_playwright = None

HERE = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's package `chromium` (.ci/run installs it when missing)

VIEWPORTS: dict[str, dict] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    # A typical phone: the page is laid out at 375 CSS pixels, the meta viewport is honoured, taps are touches.
    "phone": {
        "viewport": {"width": 375, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
# Playwright's `locale` sets both navigator.language and the Accept-Language header, which Django's
# LocaleMiddleware reads when there is no language cookie yet (the site's switch form sets the cookie).
LOCALES = {"pl": "pl-PL", "en": "en-GB"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so that `-m "not browser"` sees the marker
def pytest_collection_modifyitems(config, items):
    # This hook receives every collected item of the session, not only those of this directory.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _chromium_path() -> str:
    return os.environ.get("EBOK_CHROMIUM") or DEFAULT_CHROMIUM


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.skip("browser tests need the playwright package: make install (it is in the dev extra)")
    path = _chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip(
            f"browser tests need Chromium at {path}: apt-get install chromium, or set EBOK_CHROMIUM to its path"
        )
    # Playwright's sync API runs an asyncio event loop in this (the main) thread for as long as Playwright
    # is started, so Django sees a running loop and refuses every ORM call from test code and from fixture
    # setup/teardown (SynchronousOnlyOperation: "You cannot call this from an async context"). Nothing here
    # is async: the loop only talks to the browser, and the live server answers from its own thread. So
    # the check is switched off, but only while the browser runs: this fixture has package scope and puts
    # the variable back after the last browser test, when the loop is gone too. (A session-scoped browser
    # would leave the loop running, and the check off, for every test run after the browser tests: pytest-
    # django runs transactional tests and tests without a database last, from every directory.)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # Playwright adds --no-sandbox itself (needed as root, e.g. in CI); nothing is downloaded.
            chromium = playwright.chromium.launch(executable_path=path, headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def make_page(browser, live_server) -> Iterator[Callable[..., Page]]:
    """`make_page(viewport="desktop"|"phone", language="pl"|"en", **context_options)` → a new Page."""
    contexts = []

    def make(viewport: str = "desktop", language: str = "pl", **context_options) -> Page:
        options = {
            **VIEWPORTS[viewport],
            "locale": LOCALES[language],
            "timezone_id": "Europe/Warsaw",
            "base_url": live_server.url,
            **context_options,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)  # fail in seconds, not Playwright's default 30 s
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page) -> Page:
    return make_page()
