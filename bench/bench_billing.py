# ruff: noqa: S603 — runs this checkout's own ebok command
"""Benchmark: the billing run — `ebok bill` over 100,000 service points with a new reading each (issue 11).

    .venv/bin/python bench/bench_billing.py [--points 100000] [--quick]

1. On PostgreSQL, `billing_data.history` writes the customers with a year of history and `new_readings` the
   next round's reading for every point; that database is the template of every run below.
2. `ebok bill --date` runs as a real command (production settings) on a fresh copy, once with one process
   and once with two processes at the same time; each run is checked: one invoice per point, numbers
   1..n without a gap, four lines, a meter row, a ledger entry and an audit entry each.
3. The floor: the same rows (read back from the one-process run) copied into another fresh copy of the
   template by binary COPY in one transaction — what PostgreSQL needs to store those rows, without any
   billing or Python. The run's time over the floor's is the ratio the issue asks for.
4. SQLite (the demo's database): `ebok bill` over 10,000 points in a temporary file, for the README's
   "when to move to PostgreSQL".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import billing_data  # noqa: E402
from common import EBOK, Row, bench_env, pg_url, recreate_pg_database, setup_django, write_result  # noqa: E402

BASE = "ebok_bench_billing"
TARGET_RATE = 1700
BILL_DATE = billing_data.NEXT_READING.isoformat()


def _copy_database(template: str, name: str) -> str:
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return pg_url(name)


def _bill(database_url: str, processes: int) -> float:
    """Wall-clock seconds of `processes` `ebok bill` commands started together on `database_url`."""
    env = bench_env(database_url)
    started = time.monotonic()
    runs = [
        subprocess.Popen(
            [EBOK, "bill", "--date", BILL_DATE, "--verbosity", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [run.communicate()[0] for run in runs]
    elapsed = time.monotonic() - started
    for run, output in zip(runs, outputs, strict=True):
        if run.returncode:
            raise SystemExit(f"ebok bill failed ({run.returncode}):\n{output}")
    return elapsed


def _check(database_url: str, points: int) -> None:
    """One invoice per point, numbered 1..n without a gap, with its lines, meter row, ledger and audit entry."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        count, low, high = conn.execute(
            "SELECT count(*), min(sequence), max(sequence) FROM billing_invoice WHERE year = 2026"
        ).fetchone()
        rows = conn.execute(
            """SELECT (SELECT count(*) FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id
                       WHERE i.year = 2026),
                      (SELECT count(*) FROM billing_invoicemeterreading m JOIN billing_invoice i
                       ON i.id = m.invoice_id WHERE i.year = 2026),
                      (SELECT count(*) FROM payments_ledgerentry e JOIN billing_invoice i ON i.id = e.invoice_id
                       WHERE i.year = 2026),
                      (SELECT count(*) FROM audit_auditentry WHERE action = 'invoice.issued')"""
        ).fetchone()
    lines, meters, ledger, audit = rows
    # water and subscription, and sewage except at every 7th point (the tariff has no sewage subscription)
    expected_lines = points * 2 + sum(1 for i in range(1, points + 1) if i % 7)
    if (count, low, high) != (points, 1, points) or (meters, ledger, audit) != (points,) * 3:
        raise SystemExit(
            f"check failed: invoices {count} ({low}..{high}), meters {meters}, ledger {ledger}, "
            f"audit {audit}, expected {points} each"
        )
    if lines != expected_lines:
        raise SystemExit(f"check failed: {lines} invoice lines, expected {expected_lines}")


FLOOR_TABLES = {  # the rows the run wrote, table by table
    "billing_invoice": "SELECT * FROM billing_invoice WHERE year = 2026",
    "billing_invoiceline": "SELECT l.* FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id "
    "WHERE i.year = 2026",
    "billing_invoicemeterreading": "SELECT m.* FROM billing_invoicemeterreading m JOIN billing_invoice i "
    "ON i.id = m.invoice_id WHERE i.year = 2026",
    "payments_ledgerentry": "SELECT e.* FROM payments_ledgerentry e JOIN billing_invoice i ON i.id = e.invoice_id "
    "WHERE i.year = 2026",
    "audit_auditentry": "SELECT * FROM audit_auditentry WHERE action = 'invoice.issued'",
}


def _floor(source_url: str, target_url: str) -> float:
    """Seconds to write the rows the run wrote (read back from `source_url`) into `target_url` by binary
    COPY, in one transaction: the database's own cost of those rows, with no Python objects and no billing."""
    import psycopg

    with psycopg.connect(source_url) as source, psycopg.connect(target_url) as target:
        started = time.monotonic()
        with target.transaction():
            for table, query in FLOOR_TABLES.items():
                with (
                    source.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as out,
                    target.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as into,
                ):
                    for data in out:
                        into.write(data)
        return time.monotonic() - started


def _sqlite(points: int) -> float:
    """invoices/s of `ebok bill` on SQLite over `points` points with a first reading each."""
    data_dir = tempfile.mkdtemp(prefix="ebok-bench-sqlite-")
    url = f"sqlite:///{data_dir}/ebok.sqlite3"
    script = (
        "import sys; sys.path.insert(0, 'bench'); import billing_data, django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        f"billing_data.first_readings({points})"
    )
    env = bench_env(url, data_dir)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=Path(__file__).parents[1])
    started = time.monotonic()
    subprocess.run(
        [EBOK, "bill", "--date", BILL_DATE, "--verbosity", "0"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return points / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--sqlite-points", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="5,000 points (a check that the script works)")
    args = parser.parse_args()
    points = 5_000 if args.quick else args.points
    sqlite_points = 1_000 if args.quick else args.sqlite_points

    print(f"Building {points:,} customers with a year of history on PostgreSQL …")
    url = recreate_pg_database(BASE)
    setup_django(url)
    started = time.monotonic()
    billing_data.history(points)
    billing_data.new_readings(every=1)
    build = time.monotonic() - started
    from django.db import connections

    connections.close_all()

    seconds = {}
    for processes in (1, 2):
        run_url = _copy_database(BASE, f"{BASE}_{processes}p")
        seconds[processes] = _bill(run_url, processes)
        _check(run_url, points)
        print(f"  ebok bill, {processes} process(es): {seconds[processes]:.1f} s")
    floor = _floor(pg_url(f"{BASE}_1p"), _copy_database(BASE, f"{BASE}_floor"))
    print(f"  floor (binary COPY of the same rows): {floor:.1f} s")
    sqlite_rate = _sqlite(sqlite_points)

    best = min(seconds.values())
    rows = [
        Row(f"ebok bill, {points:,} points, 1 process", seconds[1], "s"),
        Row(
            f"ebok bill, {points:,} points, 2 processes",
            seconds[2],
            "s",
            target=f"≤ {points / TARGET_RATE:.0f}",
            met=best <= points / TARGET_RATE,
        ),
        Row(
            "invoices per second (best)",
            points / best,
            "invoices/s",
            target=f"≥ {TARGET_RATE}",
            met=points / best >= TARGET_RATE,
        ),
        Row("floor: binary COPY of the same rows", floor, "s"),
        Row("ratio of the run (best) to the floor", best / floor, "×", target="≤ 3", met=best / floor <= 3),
        Row(f"SQLite: ebok bill, {sqlite_points:,} points, 1 process", sqlite_rate, "invoices/s"),
    ]
    details = (
        f"{points:,} customers with a year of history each (three invoices, payments) written by "
        f"`bench/billing_data.py` in {build:.0f} s, then a new reading for every point; `ebok bill --date "
        f"{BILL_DATE}` as a real command on a fresh copy of that database, checked afterwards (one invoice "
        "per point, numbers 1..n without a gap, lines, meter rows, ledger and audit entries). Two processes "
        "ran side by side on the same database. The floor copies the very rows the run wrote into a fresh "
        "copy of the database by binary COPY in one transaction (no Python, no billing)."
    )
    write_result("billing", "Billing run (`ebok bill`)", rows, details=details)


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[1])
    main()
