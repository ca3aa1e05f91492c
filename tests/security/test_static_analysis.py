"""Static security analysis of the application code, as in CI: bandit finds nothing of high severity and ruff's
security rules (flake8-bandit, "S") find nothing at all. A false positive is marked where it is, with the
reason: "# noqa: SXXX - why" for ruff, "# nosec BXXX" for bandit (configuration: bandit.yaml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_bandit_finds_no_high_severity_issue_in_the_application():
    result = run(sys.executable, "-m", "bandit", "-c", "bandit.yaml", "-r", "ebok", "-lll", "-q")

    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_security_rules_find_nothing_in_the_application():
    result = run(sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "S", "ebok")

    assert result.returncode == 0, result.stdout + result.stderr
