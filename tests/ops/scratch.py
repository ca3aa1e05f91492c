"""Whole databases of a test's own: `ebok` run in a subprocess against a scratch SQLite directory or a scratch
PostgreSQL database (created on the test's server, always dropped afterwards), and a snapshot of what a
customer's money and meters look like in it, to compare two databases by.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]


def ebok_env(*, data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of an `ebok` process: development settings, its own data directory, and either
    DATABASE_URL or (without it) the SQLite file in `data_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="ebok.settings", EBOK_ENV="development", EBOK_DATA_DIR=str(data_dir))
    env.pop("EBOK_FAULT_PAUSE", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def ebok(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess:
    """`ebok ARGS…` in a subprocess; with check, a failure shows the command's output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "ebok", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"ebok {' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def ebok_python(env: dict[str, str], code: str, *, timeout: float = 600) -> object:
    """Run Python code inside `ebok shell`; it must print one JSON line starting with "@@"; returns it parsed."""
    out = ebok(env, "shell", "-c", code, timeout=timeout).stdout
    lines = [line for line in out.splitlines() if line.startswith("@@")]
    assert lines, f"no result from ebok shell:\n{out}"
    return json.loads(lines[-1][2:])


SNAPSHOT = """
import hashlib, json
from django.apps import apps
from django.core import serializers
from ebok.billing.models import Invoice
from ebok.customers.models import Customer
from ebok.payments.selectors import balance_for_customer
from ebok.readings.models import Reading

digests = {}
for model in apps.get_models():
    rows = model._base_manager.order_by("pk")
    digests[model._meta.label] = [rows.count(), hashlib.sha256(serializers.serialize("json", rows).encode()).hexdigest()]
print("@@" + json.dumps({
    "invoices": sorted([n, str(net), str(gross)] for n, net, gross in
                       Invoice.objects.values_list("number", "total_net", "total_gross")),
    "readings": sorted([s, str(d), str(v), st] for s, d, v, st in
                       Reading.objects.values_list("meter__serial_number", "date", "value", "status")),
    "balances": sorted([c.code, str(balance_for_customer(c))] for c in Customer.objects.all()),
    "tables": digests,
}))
"""


def snapshot(env: dict[str, str]) -> dict:
    """Invoice numbers and totals, readings, every customer's balance, and a digest of every table's rows."""
    return ebok_python(env, SNAPSHOT)


# --- PostgreSQL ----------------------------------------------------------------------------------------------


def _server() -> dict[str, str]:
    """Host, port, user and password of the PostgreSQL server the test suite runs on."""
    from django.db import connection

    settings = connection.settings_dict
    return {
        "host": settings.get("HOST") or "",
        "port": str(settings.get("PORT") or "5432"),
        "user": settings.get("USER") or "",
        "password": settings.get("PASSWORD") or "",
    }


def postgres_connect(dbname: str = "postgres"):
    """A psycopg connection (autocommit) to `dbname` on the test suite's server."""
    import psycopg

    server = _server()
    return psycopg.connect(
        dbname=dbname,
        host=server["host"] or None,
        port=server["port"],
        user=server["user"] or None,
        password=server["password"] or None,
        autocommit=True,
    )


def database_url(name: str) -> str:
    server = _server()
    credentials = quote(server["user"], safe="")
    if server["password"]:
        credentials += ":" + quote(server["password"], safe="")
    return f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"


@contextlib.contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """A new, empty database `<prefix>_<random>` on the test suite's server; yields its name and drops it
    afterwards (also when the test fails), disconnecting whoever is still connected."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with postgres_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with postgres_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
