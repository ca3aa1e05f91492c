"""The fault-injection hook does nothing unless a test asks for it, and never in production."""

from __future__ import annotations

import os
import time

from ebok.common import faults


def test_the_pause_does_nothing_without_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("EBOK_FAULT_PAUSE", raising=False)
    monkeypatch.setenv("EBOK_FAULT_PAUSE_MARKER", str(tmp_path / "paused"))
    monkeypatch.setenv("EBOK_FAULT_PAUSE_SECONDS", "30")
    started = time.monotonic()

    faults.pause("submission")

    assert time.monotonic() - started < 1
    assert not (tmp_path / "paused").exists()


def test_the_pause_stops_only_at_the_point_it_names_and_tells_where(monkeypatch, tmp_path):
    marker = tmp_path / "paused"
    monkeypatch.setenv("EBOK_FAULT_PAUSE", "api_reading")
    monkeypatch.setenv("EBOK_FAULT_PAUSE_MARKER", str(marker))
    monkeypatch.setenv("EBOK_FAULT_PAUSE_SECONDS", "0")

    faults.pause("submission")
    assert not marker.exists()

    faults.pause("api_reading")
    assert marker.read_text() == str(os.getpid())


def test_the_pause_is_ignored_in_production(monkeypatch, settings, tmp_path):
    settings.PRODUCTION = True
    monkeypatch.setenv("EBOK_FAULT_PAUSE", "submission")
    monkeypatch.setenv("EBOK_FAULT_PAUSE_MARKER", str(tmp_path / "paused"))
    monkeypatch.setenv("EBOK_FAULT_PAUSE_SECONDS", "30")

    faults.pause("submission")

    assert not (tmp_path / "paused").exists()
