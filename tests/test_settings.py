"""Settings: typed environment helpers, zero-configuration SQLite, and a production setup that passes
`ebok check --deploy --fail-level WARNING`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from ebok.common.env import env_bool, env_choice, env_int, env_list


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


@pytest.mark.parametrize(
    ("setter", "call"),
    [
        ("maybe", lambda: env_bool("X_VALUE")),
        ("12a", lambda: env_int("X_VALUE", 1)),
        ("0", lambda: env_int("X_VALUE", 1, minimum=1)),
        ("staging", lambda: env_choice("X_VALUE", ("development", "production"), "development")),
    ],
)
def test_env_helpers_fail_loudly_on_nonsense(monkeypatch, setter, call):
    monkeypatch.setenv("X_VALUE", setter)
    with pytest.raises(ImproperlyConfigured):
        call()


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST") == ["a.example", "b.example"]


def _ebok(args, env, cwd):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EBOK_", "DATABASE_URL", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "ebok", *args],
        env=base | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "EBOK_ENV": "production",
        "EBOK_SECRET_KEY": "x" * 20 + "Qz7-kP2_mN9vR4tY6uW8aB1cD3eF5gH0",
        "EBOK_ALLOWED_HOSTS": "ebok.example.org",
        "EBOK_DATA_DIR": str(tmp_path),
    }
    result = _ebok(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EBOK_ENV": "production"}, "EBOK_SECRET_KEY is required"),
        ({"EBOK_ENV": "production", "EBOK_SECRET_KEY": "k" * 60}, "EBOK_ALLOWED_HOSTS is required"),
        ({"EBOK_ENV": "prod"}, "EBOK_ENV='prod' must be one of"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with"),
    ],
)
def test_misconfiguration_stops_the_start_with_a_clear_message(tmp_path, env, message):
    result = _ebok(["check"], env | {"EBOK_DATA_DIR": str(tmp_path)}, tmp_path)

    assert result.returncode != 0
    assert message in result.stderr


def test_zero_configuration_uses_sqlite_in_wal_mode_with_a_generated_secret_key(tmp_path):
    data = tmp_path / "var"
    result = _ebok(
        [
            "shell",
            "-c",
            "from django.db import connection; c = connection.cursor(); "
            "print(c.execute('PRAGMA journal_mode').fetchone()[0])",
        ],
        {"EBOK_DATA_DIR": str(data)},
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"
    assert (data / "ebok.sqlite3").exists()
    key = (data / "secret_key").read_text()
    assert len(key) >= 50
    assert oct((data / "secret_key").stat().st_mode)[-3:] == "600"
