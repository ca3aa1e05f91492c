"""Log lines that user input can't forge: line breaks and other control characters in a message are escaped.

A username typed as "x\\n2026-01-01 INFO admin logged in" would otherwise write a second, fake line into the
log. The formatter escapes the message (after its arguments are filled in); a traceback added by the formatter
itself keeps its line breaks, since it comes from the program, not from the user.
"""

from __future__ import annotations

import logging
import re

# C0 and C1 control characters (tab, CR and LF among them), DEL, and the Unicode line and paragraph separators.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str) -> str:
    """'a\\nb' → 'a\\\\nb': every control character as a visible escape, so the text stays on one line."""

    def replace(match: re.Match) -> str:
        char = match.group(0)
        if char in _NAMED:
            return _NAMED[char]
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _UNSAFE.sub(replace, text)


class SafeFormatter(logging.Formatter):
    """logging.Formatter whose %(message)s is escaped with `escape_control` (configured in settings.LOGGING)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_control(record.message)
        return super().formatMessage(record)
