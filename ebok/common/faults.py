"""Fault injection for the reliability tests (tests/reliability): test-only, does nothing unless asked.

`pause("submission")` stops the current request right there, inside its open transaction, when the process
was started with EBOK_FAULT_PAUSE=submission, so that a test can kill the web worker at a known moment and
check that the transaction left nothing behind. With the variable unset (always, outside those tests), and
always with EBOK_ENV=production, it returns at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings


def pause(point: str) -> None:
    """Sleep at `point` if EBOK_FAULT_PAUSE names it.

    EBOK_FAULT_PAUSE_SECONDS: how long (default 60). EBOK_FAULT_PAUSE_MARKER: a file to write this process's
    id into first, so the test knows the pause has been reached and which process to kill.
    """
    if os.environ.get("EBOK_FAULT_PAUSE") != point or getattr(settings, "PRODUCTION", False):
        return
    marker = os.environ.get("EBOK_FAULT_PAUSE_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("EBOK_FAULT_PAUSE_SECONDS", "60")))
