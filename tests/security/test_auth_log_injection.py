"""Log lines can't be forged by user input (ASVS 5.0 V16.4.1): the configured formatter escapes line breaks
and other control characters in every message, so a username typed as "x\\n2026-01-01 INFO ..." stays on
the line of the failed login that records it."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.conf import settings

from ebok.common.logging import SafeFormatter, escape_control

FAKE = "mallory\n2026-01-01 12:00:00,000 INFO ebok.auth auth.login user=admin channel=backoffice ip=10.0.0.1"


@pytest.fixture
def log_output():
    """The text the configured console handler's formatter writes for the ebok.auth logger."""
    [formatter] = {
        handler.formatter
        for handler in logging.getLogger().handlers
        if isinstance(handler.formatter, SafeFormatter)
    }
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("ebok.auth")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_the_console_log_uses_the_escaping_formatter():
    plain = settings.LOGGING["formatters"]["plain"]
    assert plain["()"] == "ebok.common.logging.SafeFormatter"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("bell\x07 esc\x1b[31m", "bell\\x07 esc\\x1b[31m"),
        ("nel\x85 ls\u2028 ps\u2029", "nel\\x85 ls\\u2028 ps\\u2029"),
        ("zażółć gęślą jaźń", "zażółć gęślą jaźń"),
    ],
)
def test_control_characters_are_written_as_visible_escapes(text, escaped):
    assert escape_control(text) == escaped


def test_arguments_and_the_message_are_both_escaped_but_a_traceback_keeps_its_lines():
    formatter = SafeFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login %s\nfake", ("a\nb",), None)
    assert formatter.format(record) == "INFO login a\\nb\\nfake"
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert formatter.format(record).startswith("ERROR failed\nTraceback")


def test_a_username_with_a_line_break_is_logged_on_one_line(client, db, log_output):
    client.post("/login/", {"username": FAKE, "password": "wrong"}, REMOTE_ADDR="203.0.113.9")

    lines = log_output.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].split(" ", 2)[2].startswith("INFO ebok.auth auth.login_failed user=mallory\\n2026-01-01")
    assert lines[0].endswith("ip=203.0.113.9")
