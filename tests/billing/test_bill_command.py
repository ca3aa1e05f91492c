"""`ebok bill --date`: invoices every accepted reading not yet invoiced; safe to rerun and to kill mid-run."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal as D
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from ebok.billing.models import Invoice, InvoiceKind
from ebok.billing.selectors import points_to_bill
from ebok.billing.services import invoice_issue
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.metering.models import MeterRole
from ebok.readings.models import Source, Status
from ebok.readings.services import reading_submit, readings_submit_for_point
from tests import factories

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
PREPARED_ON = dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC)  # readings up to this day are not "in the future"
BILL_DATE = dt.date(2025, 5, 31)
JAN1, FEB28, MAR31, APR30, MAY31 = (
    dt.date(2025, 1, 1),
    dt.date(2025, 2, 28),
    dt.date(2025, 3, 31),
    dt.date(2025, 4, 30),
    dt.date(2025, 5, 31),
)

# One service point of each kind, repeated: what `bill --date 2025-05-31` must do with it.
KINDS = [
    "one_reading",  # main meter read on 31 Mar → invoice 1 Jan–31 Mar
    "garden",  # main and garden meter read on 31 Mar → invoice 1 Jan–31 Mar
    "two_readings",  # read on 30 Apr and 31 May → one invoice 1 Jan–31 May
    "billed_then_read",  # invoiced up to 28 Feb before, read again on 30 Apr → invoice 1 Mar–30 Apr
    "already_billed",  # read on 28 Feb and invoiced before → nothing
    "later",  # read on 15 Jun, after the date → nothing
    "held",  # implausible reading, held for review → nothing
    "refused",  # reading lower than the installation reading, refused → nothing
    "never_read",  # a meter without readings → nothing
    "flat_rate",  # no meter at all → nothing (flat-rate points have no readings to invoice)
    "garden_missing",  # main read, garden not → skipped: missing_reading
    "second_main_held",  # one main meter accepted, the other held on the same day → skipped: reading_held
]


def _read(meter, day: dt.date, value: str):
    return reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)


def _make_point(kind: str, group, i: int) -> tuple[int, dict | None]:
    """One point of `kind`; returns its id and what billing it must give (None: not a candidate)."""
    point = factories.make_point(factories.make_customer(), group, street=f"ul. Polna {i}")
    if kind == "flat_rate":
        return point.pk, None
    main = factories.make_meter(point, reading="0")
    value = str(10 + i % 7)
    if kind == "one_reading":
        _read(main, MAR31, value)
        return point.pk, {"billed": [JAN1, MAR31]}
    if kind in ("garden", "garden_missing"):
        garden = factories.make_meter(point, reading="0", role=MeterRole.ADDITIONAL)
        values = {main.pk: value, garden.pk: "2"} if kind == "garden" else {main.pk: value}
        readings_submit_for_point(
            actor=SYSTEM, service_point=point, date=MAR31, values=values, source=Source.PORTAL
        )
        if kind == "garden":
            return point.pk, {"billed": [JAN1, MAR31]}
        return point.pk, {"skipped": "missing_reading"}
    if kind == "two_readings":
        _read(main, APR30, value)
        _read(main, MAY31, str(int(value) + 4))
        return point.pk, {"billed": [JAN1, MAY31]}
    if kind in ("billed_then_read", "already_billed"):
        _read(main, FEB28, "3")
        invoice_issue(actor=SYSTEM, service_point=point, up_to=FEB28)
        if kind == "already_billed":
            return point.pk, None
        _read(main, APR30, value)
        return point.pk, {"billed": [dt.date(2025, 3, 1), APR30]}
    if kind == "later":
        _read(main, dt.date(2025, 6, 15), value)
        return point.pk, None
    if kind == "held":
        assert _read(main, MAR31, "200").status == Status.HELD
        return point.pk, None
    if kind == "refused":
        refused_meter = factories.make_meter(point, reading="100")
        assert _read(refused_meter, MAR31, "50").status == Status.REFUSED
        return point.pk, None
    if kind == "never_read":
        return point.pk, None
    if kind == "second_main_held":
        other = factories.make_meter(point, reading="0")
        _read(main, MAR31, value)
        assert _read(other, MAR31, "300").status == Status.HELD
        return point.pk, {"skipped": "reading_held"}
    raise AssertionError(kind)


def build_utility(points: int, *, with_company: bool = False) -> dict:
    """`points` service points cycling through KINDS; returns {point id: expected outcome} (JSON-ready).

    Also run in a subprocess to prepare the database of the kill test, hence JSON and no fixtures.
    """
    expected = {}
    with clock.frozen_at(PREPARED_ON), transaction.atomic():
        if with_company:
            factories.make_company()
            factories.make_tariff(factories.make_tariff_group())
        from ebok.tariffs.models import TariffGroup

        group = TariffGroup.objects.get(code="G1")
        for i in range(points):
            pk, outcome = _make_point(KINDS[i % len(KINDS)], group, i)
            if outcome is not None:
                if "billed" in outcome:
                    outcome["billed"] = [day.isoformat() for day in outcome["billed"]]
                expected[str(pk)] = outcome
    return expected


def _bill(*args: str) -> tuple[dict, str]:
    out, err = StringIO(), StringIO()
    call_command("bill", *args, stdout=out, stderr=err)
    return _parse_summary(out.getvalue()), err.getvalue()


def _parse_summary(text: str) -> dict:
    """The summary as {"Issued": 3, ..., "skipped": {"missing_reading": 1}}."""
    summary: dict = {"skipped": {}}
    for line in text.splitlines():
        if m := re.fullmatch(r"(Issued|Already issued|Taken by another process|Skipped|Failed): (\d+)", line):
            summary[m[1]] = int(m[2])
        elif m := re.fullmatch(r" {2}([a-z_]+): (\d+)", line):
            summary["skipped"][m[1]] = int(m[2])
    return summary


def _cli_invoices() -> set[tuple[int, dt.date, dt.date]]:
    return set(
        Invoice.objects.filter(channel="cli").values_list("service_point_id", "period_start", "period_end")
    )


def _billed(expected: dict) -> set[tuple[int, dt.date, dt.date]]:
    return {
        (int(pk), dt.date.fromisoformat(o["billed"][0]), dt.date.fromisoformat(o["billed"][1]))
        for pk, o in expected.items()
        if "billed" in o
    }


def _assert_numbers_gap_free() -> None:
    for year in Invoice.objects.filter(kind=InvoiceKind.INVOICE).values_list("year", flat=True).distinct():
        sequences = sorted(
            Invoice.objects.filter(kind=InvoiceKind.INVOICE, year=year).values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, len(sequences) + 1))


# --- the candidate query ---------------------------------------------------------------------------------


def test_points_to_bill_finds_unbilled_accepted_readings_in_one_query(tariff, django_assert_num_queries):
    expected = build_utility(len(KINDS))

    with django_assert_num_queries(1):
        candidates = dict(points_to_bill(BILL_DATE).values_list("pk", "bill_to"))

    assert candidates == {
        int(pk): (dt.date.fromisoformat(o["billed"][1]) if "billed" in o else dt.date(2025, 3, 31))
        for pk, o in expected.items()
    }


def test_points_to_bill_ignores_readings_after_the_date_and_up_to_the_last_invoice(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group)
    meter = factories.make_meter(point, reading="0")
    _read(meter, dt.date(2025, 2, 28), "4")
    _read(meter, dt.date(2025, 4, 30), "9")

    assert list(points_to_bill(dt.date(2025, 1, 31))) == []
    assert points_to_bill(dt.date(2025, 3, 31)).get().bill_to == dt.date(2025, 2, 28)
    assert points_to_bill(dt.date(2025, 4, 30)).get().bill_to == dt.date(2025, 4, 30)
    invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 2, 28))
    assert points_to_bill(dt.date(2025, 3, 31)).count() == 0
    assert points_to_bill(dt.date(2025, 4, 30)).get().billed_end == dt.date(2025, 2, 28)


# --- the command -----------------------------------------------------------------------------------------


def test_bill_invoices_exactly_the_unbilled_accepted_readings_and_a_rerun_issues_nothing(tariff, today):
    expected = build_utility(2 * len(KINDS))
    before = Invoice.objects.count()

    summary, _err = _bill("--date", BILL_DATE.isoformat(), "--chunk", "5")  # several chunks

    billed = _billed(expected)
    assert _cli_invoices() == billed
    assert summary == {
        "Issued": len(billed),
        "Already issued": 0,
        "Taken by another process": 0,
        "Skipped": 4,
        "skipped": {"missing_reading": 2, "reading_held": 2},
    }
    assert Invoice.objects.count() == before + len(billed)
    _assert_numbers_gap_free()
    two = Invoice.objects.get(
        channel="cli", point__street="ul. Polna 2"
    )  # "two_readings": both in one invoice
    assert two.meter_readings.get().new_value == D("16")

    rerun, _err = _bill("--date", BILL_DATE.isoformat())

    assert rerun["Issued"] == 0
    assert rerun["skipped"] == {"missing_reading": 2, "reading_held": 2}
    assert Invoice.objects.count() == before + len(billed)


def test_point_missing_its_garden_meter_reading_is_skipped_with_the_reason(tariff, today):
    point = factories.make_point(factories.make_customer(), tariff.group)
    main = factories.make_meter(point, reading="0")
    garden = factories.make_meter(point, reading="0", role=MeterRole.ADDITIONAL, serial="GARDEN-7")
    _read(main, dt.date(2025, 3, 31), "10")

    out, err = StringIO(), StringIO()
    call_command("bill", "--date", "2025-03-31", "--verbosity", "2", stdout=out, stderr=err)

    assert _parse_summary(out.getvalue()) == {
        "Issued": 0,
        "Already issued": 0,
        "Taken by another process": 0,
        "Skipped": 1,
        "skipped": {"missing_reading": 1},
    }
    assert f"point {point.pk}: skipped (missing_reading)" in err.getvalue()
    assert "GARDEN-7" in err.getvalue()
    assert Invoice.objects.count() == 0

    _read(garden, dt.date(2025, 3, 31), "1")
    summary, _err = _bill("--date", "2025-03-31")

    assert summary["Issued"] == 1
    assert Invoice.objects.get().period_end == dt.date(2025, 3, 31)


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "2025-02-30"],
        ["--date", "31.05.2025"],
        ["--date", "2025-5-31"],
        ["--date", "20250531"],
        ["--date", ""],
        ["--date", "tomorrow"],
        ["--date", "2025-05-31", "--chunk", "0"],
        ["--date", "2025-05-31", "--chunk", "many"],
        [],
    ],
)
def test_bad_arguments_are_a_command_error_and_change_nothing(tariff, today, args):
    build_utility(3)

    with pytest.raises(CommandError) as error:
        call_command("bill", *args, stdout=StringIO(), stderr=StringIO())

    assert "--date" in str(error.value) or "--chunk" in str(error.value)
    assert Invoice.objects.filter(channel="cli").count() == 0


def test_bill_without_the_utility_set_up_is_a_command_error():
    with pytest.raises(CommandError, match="not set up"):
        call_command("bill", "--date", "2025-05-31", stdout=StringIO(), stderr=StringIO())


# --- real processes: killed with SIGKILL mid-run, two at once, bad input ----------------------------------

PROCESS_TEST_POINTS = 300


class ScratchDatabase:
    """A database of its own for `ebok` subprocesses: an SQLite file, or a PostgreSQL database on the server
    the tests use (whichever the test run is on). The pytest database is not used: it is in memory on SQLite."""

    def __init__(self, directory: Path, *, vendor: str, name: str | None = None):
        self.directory = directory
        self.vendor = vendor
        directory.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "EBOK_DATA_DIR": str(directory),
            "DJANGO_SETTINGS_MODULE": "ebok.settings",
            "PYTHONPATH": str(REPO),
        }
        self.env.pop("DATABASE_URL", None)
        if vendor == "postgresql":
            self.name = name or f"ebok_bill_test_{uuid.uuid4().hex[:12]}"
            settings = connection.settings_dict
            auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
            self.server = f"postgres://{auth}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"
            self.env["DATABASE_URL"] = f"{self.server}/{self.name}"
            if name is None:
                self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = directory / "ebok.sqlite3"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            admin.execute(sql)

    def clone(self, directory: Path) -> ScratchDatabase:
        """An identical copy (no process may have this database open meanwhile)."""
        if self.vendor == "postgresql":
            name = f"ebok_bill_test_{uuid.uuid4().hex[:12]}"
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
            return ScratchDatabase(directory, vendor=self.vendor, name=name)
        directory.mkdir(parents=True, exist_ok=True)
        for file in self.directory.glob("ebok.sqlite3*"):
            shutil.copy(file, directory / file.name)
        return ScratchDatabase(directory, vendor=self.vendor)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
                return conn.execute(sql).fetchall()
        with closing(sqlite3.connect(self.path, timeout=20)) as conn:
            return conn.execute(sql).fetchall()

    def python(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, *args], cwd=REPO, env=self.env, text=True, capture_output=True, timeout=120
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def ebok(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.python("-m", "ebok", *args, check=check)

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "ebok", *args],
            cwd=REPO,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def invoices(self) -> list[tuple]:
        """(point, period start, period end, gross, year, sequence) of every regular invoice, in id order."""
        rows = self.query(
            "SELECT service_point_id, period_start, period_end, total_gross, year, sequence "
            "FROM billing_invoice WHERE kind = 'invoice' ORDER BY id"
        )
        return [
            (int(p), str(s), str(e), D(str(g)).quantize(D("0.01")), int(y), int(n))
            for p, s, e, g, y, n in rows
        ]


def _assert_gap_free(invoices: list[tuple]) -> None:
    for year in {row[4] for row in invoices}:
        numbers = sorted(row[5] for row in invoices if row[4] == year)
        assert numbers == list(range(1, len(numbers) + 1)), f"numbers of {year} have gaps or duplicates"


@dataclass
class Prepared:
    database: ScratchDatabase  # as prepared; tests bill copies of it
    expected: dict  # build_utility's answer
    billed: set  # (point, period start, period end) `bill` must issue
    before: int  # invoices issued while preparing
    reference: list  # invoices() after one uninterrupted `bill` on a copy


PREPARE = f"""
import json, django
django.setup()
from tests.billing.test_bill_command import build_utility
print(json.dumps(build_utility({PROCESS_TEST_POINTS}, with_company=True)))
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Prepared:
    """A migrated database with PROCESS_TEST_POINTS points, and what an uninterrupted `bill` does to a copy."""
    root = tmp_path_factory.mktemp("bill")
    database = ScratchDatabase(root / "prepared", vendor=connection.vendor)
    made = [database]
    try:
        database.ebok("migrate", "--verbosity", "0")
        expected = json.loads(database.python("-c", PREPARE).stdout)
        before = len(database.invoices())
        reference = database.clone(root / "reference")
        made.append(reference)
        run = reference.ebok("bill", "--date", BILL_DATE.isoformat(), "--chunk", "50")
        billed = _billed(expected)
        assert _parse_summary(run.stdout)["Issued"] == len(billed)
        yield Prepared(database, expected, billed, before, reference.invoices())
    finally:
        for each in made:
            each.drop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bill_killed_mid_run_and_run_again_gives_the_same_invoices_as_an_uninterrupted_run(
    prepared, tmp_path
):
    killed = prepared.database.clone(tmp_path / "killed")
    try:
        # Killed with SIGKILL once some invoices are out and well before the end …
        process = killed.start("bill", "--date", BILL_DATE.isoformat(), "--chunk", "50")
        deadline = time.monotonic() + 60
        while len(killed.invoices()) < prepared.before + len(prepared.billed) // 3:
            assert process.poll() is None, "bill ended before it could be killed"
            assert time.monotonic() < deadline, "bill issued too few invoices in 60 s"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL
        after_kill = killed.invoices()
        assert prepared.before < len(after_kill) < prepared.before + len(prepared.billed)
        # … it left whole invoices only: each with its ledger entry, the counter at the last number used.
        ledger = killed.query("SELECT count(*) FROM payments_ledgerentry WHERE kind = 'invoice'")[0][0]
        counters = killed.query(
            "SELECT year, last_number FROM billing_invoicecounter WHERE series = 'invoice'"
        )
        assert ledger == len(after_kill)
        assert sorted(counters) == sorted(
            (year, max(row[5] for row in after_kill if row[4] == year)) for year, _ in counters
        )

        # Run again: it issues exactly the rest; a third run finds nothing left.
        rerun = killed.ebok("bill", "--date", BILL_DATE.isoformat(), "--chunk", "50")
        assert _parse_summary(rerun.stdout)["Issued"] == prepared.before + len(prepared.billed) - len(
            after_kill
        )
        again = killed.ebok("bill", "--date", BILL_DATE.isoformat())
        assert _parse_summary(again.stdout)["Issued"] == 0

        # The same invoices as the uninterrupted run, to the grosz and with the same numbers.
        result = killed.invoices()
        assert sorted(result) == sorted(prepared.reference)
        issued = {
            (p, dt.date.fromisoformat(s), dt.date.fromisoformat(e))
            for p, s, e, *_ in result[prepared.before :]
        }
        assert issued == prepared.billed
        _assert_gap_free(result)
    finally:
        killed.drop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_bill_processes_at_once_issue_each_invoice_once(prepared, tmp_path):
    database = prepared.database.clone(tmp_path / "two")
    try:
        processes = [
            database.start("bill", "--date", BILL_DATE.isoformat(), "--chunk", "50") for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]

        assert [process.returncode for process in processes] == [0, 0], [err[-2000:] for _, err in outputs]
        summaries = [_parse_summary(out) for out, _ in outputs]
        assert sum(summary["Issued"] for summary in summaries) == len(prepared.billed)
        result = database.invoices()
        # The same invoices as one process issues (numbers aside: the two processes interleave).
        assert sorted(row[:4] for row in result) == sorted(row[:4] for row in prepared.reference)
        _assert_gap_free(result)
    finally:
        database.drop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bill_with_a_bad_date_exits_non_zero_with_a_clear_message_and_writes_nothing(prepared):
    result = prepared.database.ebok("bill", "--date", "2025-02-30", check=False)

    assert result.returncode != 0
    assert "--date '2025-02-30' is not a valid date" in result.stderr
    assert len(prepared.database.invoices()) == prepared.before
