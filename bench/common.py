"""What every benchmark shares: a throw-away database, Django set up with production settings, the results file.

Each benchmark is a script (`.venv/bin/python bench/bench_x.py`) that measures one target of issue 11 and
writes `var/bench/<name>.json` through `write_result`; `bench/report.py` turns those files into the table in
`docs/performance.md`. `make bench` runs them all, then the report.

PostgreSQL: `EBOK_BENCH_PG` (default postgres://postgres@127.0.0.1:5432) is the server; every benchmark makes
its own database there (`ebok_bench_<name>`), drops it first, and leaves it for a look afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "var" / "bench"
PG_SERVER = os.environ.get("EBOK_BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PYTHON = sys.executable
EBOK = str(Path(sys.executable).with_name("ebok"))

# Production settings for a benchmark process and the servers it starts (plain HTTP on 127.0.0.1: the load
# generator says it came through the TLS proxy with X-Forwarded-Proto, as nginx would).
PRODUCTION_ENV = {
    "EBOK_ENV": "production",
    "EBOK_SECRET_KEY": "bench-" + "k" * 60,
    "EBOK_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "EBOK_LOG_LEVEL": "WARNING",
}


@dataclass(slots=True)
class Row:
    """One line of the results table: what was measured, the figure, and the target it is held against."""

    what: str
    value: float
    unit: str
    target: str = ""  # e.g. "≥ 1700", "≤ 50"; empty: reported, no target
    met: bool | None = None  # None: no target
    note: str = ""


def pg_url(database: str) -> str:
    return f"{PG_SERVER}/{database}"


def recreate_pg_database(database: str) -> str:
    """Drop and create `database` on the benchmark server; returns its URL."""
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    return pg_url(database)


def bench_env(database_url: str, data_dir: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a benchmark process or server: production settings on `database_url`."""
    env = dict(os.environ)
    env.update(PRODUCTION_ENV)
    env["DATABASE_URL"] = database_url
    env["EBOK_DATA_DIR"] = data_dir or tempfile.mkdtemp(prefix="ebok-bench-")
    env["DJANGO_SETTINGS_MODULE"] = "ebok.settings"
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def setup_django(database_url: str, *, migrate: bool = True, data_dir: str | None = None) -> None:
    """Set up Django in this process with production settings on `database_url` (and migrate it)."""
    os.environ.update(bench_env(database_url, data_dir))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def machine() -> dict[str, str]:
    def pg_version() -> str:
        import psycopg

        try:
            with psycopg.connect(pg_url("postgres"), connect_timeout=10) as conn:
                return conn.execute("SHOW server_version").fetchone()[0]
        except psycopg.Error:
            return "unknown"

    return {
        "cpus": str(os.cpu_count()),
        "memory_gib": str(round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "postgresql": pg_version(),
    }


def write_result(name: str, title: str, rows: list[Row], *, details: str = "") -> Path:
    """Write var/bench/<name>.json (read by bench/report.py) and print the rows."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "name": name,
        "title": title,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": [asdict(row) for row in rows],
        "details": details,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"== {title}")
    for row in rows:
        verdict = "" if row.met is None else (" ✓" if row.met else " ✗ MISSED")
        target = f" (target {row.target})" if row.target else ""
        print(f"  {row.what}: {row.value:,.1f} {row.unit}{target}{verdict}")
    return path


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by the nearest-rank method."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
