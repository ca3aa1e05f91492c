"""Helpers for browser tests: axe-core checks, keyboard-only journeys and the visible focus indicator.

Usage (with the `page` or `make_page` fixture of tests/browser/conftest.py):

    page.goto("/")
    assert_accessible(page, "home page")  # axe-core, WCAG 2.0/2.1 A and AA: no violation
    press_tab_until(page, "English")      # Tab until the focused element's accessible name is "English"
    assert_focus_visible(page)            # WCAG 2.4.7: the focused element is on screen with an outline
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# --- axe-core -----------------------------------------------------------------------------------------


@cache
def axe_source() -> str:
    """axe.min.js as bundled by the axe-playwright-python package (we use only the script, not its runner)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, *, context: str | dict | None = None, disable: tuple[str, ...] = ()) -> list[dict]:
    """Run axe-core on the page as it is now; return the violations of the WCAG 2.0/2.1 A and AA rules.

    `context` limits the check to a part of the page (a CSS selector or axe's {include, exclude});
    `disable` switches off rules by id (say why next to the call).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # the script assigns window.axe
    options = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in disable},
    }
    result = page.evaluate(
        "([context, options]) => axe.run(context ?? document, options)", [context, options]
    )
    return result["violations"]


def format_violations(violations: list[dict], label: str, url: str) -> str:
    lines = [
        f"{label} ({url}): {len(violations)} accessibility violation(s) (axe-core, {', '.join(WCAG_TAGS)})"
    ]
    for violation in violations:
        lines.append("")
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t for t in node["target"])
            html = " ".join(node["html"].split())
            lines.append(f"  - {target}")
            lines.append(f"      html: {html[:300]}{'…' if len(html) > 300 else ''}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                lines.append(f"      {summary_line.strip()}")
    return "\n".join(lines)


def assert_accessible(
    page, label: str, *, context: str | dict | None = None, disable: tuple[str, ...] = ()
) -> None:
    """Fail with a readable report (rule, impact, help, failing elements) if axe-core finds any violation."""
    violations = axe_violations(page, context=context, disable=disable)
    if violations:
        pytest.fail(format_violations(violations, label, page.url), pytrace=False)


# --- keyboard -----------------------------------------------------------------------------------------

_SNAPSHOT_HEAD = re.compile(r'^- (?P<role>[\w-]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?')


@dataclass(frozen=True)
class Focused:
    """The element that has the keyboard focus: its ARIA role and accessible name, tag and opening tag."""

    role: str
    name: str
    tag: str
    html: str

    def __str__(self) -> str:
        return f'{self.role} "{self.name}" {self.html}' if self.name else f"{self.role} {self.html}"


def focused(page) -> Focused:
    """What has the focus now (document.activeElement), as a screen reader would name it."""
    tag, html = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el) return ["", ""];
            const open = el.outerHTML.slice(0, el.outerHTML.indexOf(">") + 1);
            return [el.tagName.toLowerCase(), open];
        }"""
    )
    locator = page.locator(":focus")
    if tag in ("", "body", "html") or locator.count() != 1:
        return Focused(role="document", name="", tag=tag or "none", html=html)
    # Playwright's ARIA snapshot names the element the way the accessibility tree does (label, aria-label,
    # text content ...): its first line is `- role "name"`.
    match = _SNAPSHOT_HEAD.match(locator.aria_snapshot())
    if not match:
        return Focused(role="generic", name="", tag=tag, html=html)
    name = json.loads(f'"{match["name"]}"') if match["name"] is not None else ""
    return Focused(role=match["role"], name=name, tag=tag, html=html)


def press_tab_until(
    page,
    target: str | re.Pattern | Callable[[Focused], bool] | None = None,
    *,
    selector: str | None = None,
    max_tabs: int = 60,
    key: str = "Tab",
) -> Focused:
    """Press Tab (or `key`, e.g. "Shift+Tab") until the focused element matches; return it.

    `target` is the accessible name (exact, whitespace-normalised, or a compiled regex searched in it) or a
    predicate on `Focused`; `selector` matches document.activeElement against a CSS selector. Fails with the
    list of everything that got the focus on the way if nothing matched within `max_tabs` presses.
    """
    if (target is None) == (selector is None):
        raise TypeError("press_tab_until needs exactly one of target (name or predicate) and selector")

    def matches(element: Focused) -> bool:
        if selector is not None:
            return page.evaluate("s => !!document.activeElement?.matches(s)", selector)
        if callable(target) and not isinstance(target, re.Pattern):
            return target(element)
        if isinstance(target, re.Pattern):
            return target.search(element.name) is not None
        return " ".join(element.name.split()) == " ".join(target.split())

    visited = []
    for _ in range(max_tabs):
        page.keyboard.press(key)
        element = focused(page)
        visited.append(element)
        if matches(element):
            return element
    wanted = f"selector {selector!r}" if selector is not None else f"{target!r}"
    path = "\n".join(f"  {n:2d}. {element}" for n, element in enumerate(visited, start=1))
    pytest.fail(
        f"{key} pressed {max_tabs} times on {page.url}, {wanted} never got the focus:\n{path}", pytrace=False
    )


def assert_focus_visible(page) -> None:
    """WCAG 2.4.7 Focus Visible: the focused element is on screen and drawn with a focus indicator.

    An indicator is an outline (style not `none`, width > 0, colour not transparent) or a box-shadow, as
    computed for the element while it has the focus. A change of only colour or underline is not accepted:
    write an outline or a box-shadow in site.css.
    """
    state = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body || el === document.documentElement) return null;
            const s = getComputedStyle(el);
            const r = el.getBoundingClientRect();
            return {
                outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
                outlineColor: s.outlineColor, boxShadow: s.boxShadow,
                rect: [r.left, r.top, r.right, r.bottom], viewport: [innerWidth, innerHeight],
            };
        }"""
    )
    if state is None:
        pytest.fail(f"nothing has the focus on {page.url}", pytrace=False)
    element = focused(page)
    left, top, right, bottom = state["rect"]
    width, height = state["viewport"]
    on_screen = right > 0 and bottom > 0 and left < width and top < height and right > left and bottom > top
    outline = (
        state["outlineStyle"] != "none"
        and state["outlineWidth"] > 0
        and state["outlineColor"] not in ("transparent", "rgba(0, 0, 0, 0)")
    )
    shadow = state["boxShadow"] not in ("", "none")
    problems = []
    if not on_screen:
        problems.append(f"it is off screen (box {state['rect']}, viewport {state['viewport']})")
    if not (outline or shadow):
        problems.append(
            f"no focus indicator (outline: {state['outlineStyle']} {state['outlineWidth']}px "
            f"{state['outlineColor']}; box-shadow: {state['boxShadow']})"
        )
    if problems:
        pytest.fail(f"focus not visible on {element} at {page.url}: {'; '.join(problems)}", pytrace=False)


# --- two-step login -----------------------------------------------------------------------------------


def give_the_code(page, username: str) -> None:
    """The second step of a staff login, after the password: on the set-up page (no device yet) read the
    secret off the page, as a person typing it into the authenticator app would; on the code page type the
    current code of the person's device. Then submit, and wait for the page after the login."""
    from ebok.accounts.models import User
    from tests.twofactor import code_for_secret, give_device, totp_code

    page.wait_for_url(re.compile(r"/login/(code|setup)/"))
    if "/login/setup/" in page.url:
        code = code_for_secret(page.locator("code.secret").inner_text())
    else:
        code = totp_code(give_device(User.objects.get(username=username)))
    page.locator("input[name=code]").fill(code)
    with page.expect_navigation():
        page.locator("main form button.primary").click()


def wait_until(page, expression: str, *, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression from Python until it is truthy. (Playwright's wait_for_function compiles
    its predicate inside the page, which the Content Security Policy rightly forbids: no 'unsafe-eval'.)"""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


# The password every browser test gives its people (long, with Polish letters: passes every password rule).
PASSWORD = "Zielona łąka nad Wisłą 7"


def log_in(page, username: str, path: str = "/login/", *, code: bool | None = None) -> None:
    """Log in through the login form at `path` ("/login/", "/staff/login/", "/reader/login/") from a fresh
    browser state; staff and readers then give the two-step code (`code=False` stops at the code page)."""
    if code is None:
        code = path.startswith(("/staff/", "/reader/"))
    page.context.clear_cookies()
    page.goto(path)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    if code:
        give_the_code(page, username)


def submit(page, button: str = "main form button.primary") -> None:
    """Send the page's form with `button` (the forms have `novalidate`: the server answers with errors)."""
    with page.expect_navigation():
        page.locator(button).first.click()
