"""Benchmark: scale — the same measurements with 10,000 and with 1,000,000 customers (issue 11, "Scale").

    .venv/bin/python bench/bench_scale.py [--sizes 10000,1000000] [--quick]

For each size, a child process builds a PostgreSQL database (`ebok_bench_scale_<size>`) with
`billing_data.history` — every customer with a year of history: three readings, three invoices with their
lines, meter rows and ledger entries, two payments — gives 50 customers spread over the id range a portal
account and a session, and then this process measures, on the production server (the one bench_portal.py
picked, production settings):

- the dashboard of those 50 customers in turn at a fixed arrival rate of 100 requests/s: p50, p95;
- the billing run over 10,000 points with a new reading (every point at 10,000; every 100th at 1,000,000):
  `ebok bill` wall time per invoice.

The targets: the dashboard's p95 at 1,000,000 within 20 % of its value at 10,000, and the billing run's cost
per invoice flat. tests/performance/test_query_plans.py checks the plans behind both on PostgreSQL.
"""

# ruff: noqa: S603 — runs this checkout's own commands

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_portal  # noqa: E402
import http_load  # noqa: E402
from bench_portal import SESSION_COOKIE, XFP, Server  # noqa: E402
from common import EBOK, PYTHON, REPO, Row, bench_env, pg_url, recreate_pg_database, write_result  # noqa: E402

BILLED = 10_000  # points billed at every size
SAMPLE = 50  # customers whose dashboards are loaded in turn
RATE = 100
SECONDS = 20
CHOSEN = getattr(bench_portal, "CHOSEN", bench_portal.CONFIGS[0])  # the server bench_portal.py picked


def build(size: int, billed: int, out: Path, reuse: bool) -> None:
    """Child process: the database of `size` customers (or the one a previous run left, with `reuse`),
    sessions of SAMPLE of them, a new reading for `billed` points; writes what the parent needs to `out`."""
    import datetime as dt

    from common import setup_django

    setup_django(pg_url(f"ebok_bench_scale_{size}"))
    import billing_data
    from portal_data import session_cookie

    from ebok.accounts.models import CustomerAccess, User
    from ebok.common import clock
    from ebok.readings.models import Reading

    started = time.monotonic()
    if not reuse:
        billing_data.history(size)
    built = time.monotonic() - started
    sessions = []
    for k in range(SAMPLE):
        user = User.objects.filter(username=f"scale{k}").first()
        if user is None:
            user = User.objects.create_user(
                username=f"scale{k}", email=f"scale{k}@example.org", password="x" * 16
            )
            CustomerAccess.objects.create(
                user=user, customer_id=1 + k * (size // SAMPLE), granted_at=clock.now()
            )
        sessions.append(session_cookie(user))
    day = billing_data.NEXT_READING
    if reuse:  # the next round after the last one billed
        day = Reading.objects.order_by("-date").values_list("date", flat=True)[0] + dt.timedelta(days=120)
    billing_data.new_readings(every=max(1, size // billed), day=day)
    out.write_text(json.dumps({"built_s": built, "sessions": sessions, "day": day.isoformat()}))


def _exists(database: str, size: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(pg_url(database)) as conn:
            return conn.execute("SELECT count(*) FROM customers_customer").fetchone()[0] == size
    except psycopg.Error:
        return False


def measure(size: int, billed: int, quick: bool, rate: int, reuse: bool) -> dict:
    database = f"ebok_bench_scale_{size}"
    reuse = reuse and _exists(database, size)
    url = pg_url(database) if reuse else recreate_pg_database(database)
    work = Path(tempfile.mkdtemp(prefix="ebok-bench-scale-"))
    info_file = work / "info.json"
    print(f"{size:,} customers: {'the database of an earlier run' if reuse else 'building …'}")
    subprocess.run(
        [PYTHON, __file__, "--build", str(size), "--billed", str(billed), "--out", str(info_file)]
        + (["--reuse"] if reuse else []),
        env=bench_env(url, str(work / "data")),
        check=True,
        cwd=REPO,
    )
    info = json.loads(info_file.read_text())
    print(f"  {_built({'built_s': info['built_s'], 'db': _size_of(database)})}")
    env = bench_env(url, str(work / "data"))
    requests = itertools.cycle(
        [http_load.Request("GET", "/panel/", {"Cookie": f"{SESSION_COOKIE}={s}"}) for s in info["sessions"]]
    )
    with Server(CHOSEN, env, work / "server.log") as server:
        http_load.throughput(server.url, headers=XFP, requests=requests, connections=8, seconds=3, warmup=0)
        result = http_load.fixed_rate(
            server.url, headers=XFP, requests=requests, rate=rate, seconds=5 if quick else SECONDS
        )
    if result.errors or result.statuses.get(200, 0) != result.requests:
        raise SystemExit(f"dashboard answers: {dict(result.statuses)}, errors {result.errors}")
    print(f"  dashboard at {rate}/s: {result.summary()}")
    bill = subprocess.run(
        [EBOK, "bill", "--date", info["day"], "--verbosity", "1"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = dict(line.split(": ", 1) for line in bill.stdout.splitlines() if ": " in line)
    issued, seconds = (
        int(summary["Issued"]),
        float(summary["Elapsed"].split()[0]),
    )  # the run, not the start-up
    if issued != billed:
        raise SystemExit(f"ebok bill issued {issued}, expected {billed}:\n{bill.stdout}")
    print(
        f"  ebok bill: {issued:,} invoices in {seconds:.1f} s ({seconds / issued * 1000:.2f} ms per invoice)"
    )
    return {"p50": result.p50, "p95": result.p95, "bill_ms": seconds / issued * 1000, "db": _size_of(database),
            "built_s": info["built_s"]}  # fmt: skip


def _built(figures: dict) -> str:
    how = f"built in {figures['built_s']:.0f} s" if figures["built_s"] else "built by an earlier run"
    return f"{how}, {figures['db']}"


def _size_of(database: str) -> str:
    import psycopg

    with psycopg.connect(pg_url("postgres")) as conn:
        return conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", [database]).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 customers, 1,000 billed")
    parser.add_argument("--rate", type=int, default=RATE, help=f"dashboards per second (default {RATE})")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--billed", type=int, default=BILLED, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--reuse", action="store_true", help="measure again on the databases an earlier run built (if there)"
    )
    args = parser.parse_args()
    if args.build:
        build(args.build, args.billed, args.out, args.reuse)
        return
    small, large = (2_000, 20_000) if args.quick else map(int, args.sizes.split(","))
    billed = 1_000 if args.quick else BILLED
    rate = args.rate
    at = {size: measure(size, billed, args.quick, rate, args.reuse) for size in (small, large)}
    p95_growth = at[large]["p95"] / at[small]["p95"] - 1
    bill_growth = at[large]["bill_ms"] / at[small]["bill_ms"] - 1
    rows = [
        Row(f"dashboard p95 at {rate}/s, {small:,} customers", at[small]["p95"], "ms"),
        Row(f"dashboard p95 at {rate}/s, {large:,} customers", at[large]["p95"], "ms"),
        Row("dashboard p95 growth", p95_growth * 100, "%", target="≤ 20", met=p95_growth <= 0.20),
        Row(f"ebok bill per invoice, {billed:,} of {small:,} points", at[small]["bill_ms"], "ms"),
        Row(f"ebok bill per invoice, {billed:,} of {large:,} points", at[large]["bill_ms"], "ms"),
        Row(
            "billing cost per invoice growth",
            bill_growth * 100,
            "%",
            target="flat (≤ 20)",
            met=bill_growth <= 0.20,
        ),
    ]
    details = (
        f"Databases built by `bench/billing_data.py` ({small:,} customers: {_built(at[small])}; "
        f"{large:,}: {_built(at[large])}), every customer "
        f"with a year of history. Dashboards of {SAMPLE} customers spread over the id range, in turn, at "
        f"{rate} requests/s for {SECONDS} s on {CHOSEN.name}; `ebok bill` over {billed:,} new readings."
    )
    write_result("scale", f"Scale: {small:,} and {large:,} customers", rows, details=details)


if __name__ == "__main__":
    main()
