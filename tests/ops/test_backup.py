"""`ebok backup` and `ebok restore`: a round trip keeps every balance, invoice and reading identical.

The SQLite tests run the commands in subprocesses against SQLite files in their own data directories (marked
`once`: CI runs them in the SQLite pass). The PostgreSQL tests dump a database created for the test and
restore it into another fresh one, both dropped afterwards.
"""

from __future__ import annotations

import sqlite3
import stat
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ebok.common.management.commands import backup as backup_command
from tests.ops.scratch import (
    database_url,
    ebok,
    ebok_env,
    ebok_python,
    postgres_connect,
    scratch_postgres,
    snapshot,
)

SEED = ("seed", "--customers", "30", "--years", "1", "--seed", "3", "--no-progress")

# Portal and staff accounts with an API token, so that the round trip covers the login tables too.
ACCOUNTS = """
from ebok.accounts.models import CustomerAccess, User
from ebok.common import clock
from ebok.common.actor import CLI
from ebok.customers.models import Customer
from ebok.integrations.services import api_token_create

customer = Customer.objects.order_by("code").first()
person = User.objects.create_user("anna", email="anna@example.org", password="correct horse battery")
CustomerAccess.objects.create(user=person, customer=customer, granted_at=clock.now())
clerk = User.objects.create_user("clerk", password="correct horse battery", is_staff=True)
api_token_create(actor=CLI, user=clerk, name="bank import")
print("@@1")
"""

# A change made after the backup: a payment of the first customer.
CHANGE = """
import datetime as dt
from decimal import Decimal
from ebok.common.actor import CLI
from ebok.customers.models import Customer
from ebok.payments.services import payment_record

customer = Customer.objects.order_by("code").first()
payment_record(actor=CLI, customer=customer, amount=Decimal("12.34"), received_on=dt.date(2026, 1, 5),
               title="paid after the backup")
print("@@1")
"""


def _assert_worth_comparing(state: dict) -> None:
    assert len(state["invoices"]) > 50 and len(state["readings"]) > 50 and len(state["balances"]) == 30
    assert any(balance != "0.00" for _, balance in state["balances"])
    assert state["tables"]["accounts.User"][0] == 2


def _assert_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: readable by its owner only


# --- SQLite --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory) -> tuple[dict, dict]:
    """A data directory with a migrated, seeded SQLite database; (its environment, its snapshot)."""
    env = ebok_env(data_dir=tmp_path_factory.mktemp("origin"))
    ebok(env, "migrate", "-v0")
    ebok(env, *SEED)
    ebok_python(env, ACCOUNTS)
    state = snapshot(env)
    _assert_worth_comparing(state)
    return env, state


@pytest.mark.slow
@pytest.mark.once
def test_sqlite_backup_restored_into_an_empty_data_directory_keeps_every_balance_invoice_and_reading(
    seeded_sqlite, tmp_path
):
    origin, before = seeded_sqlite
    file = tmp_path / "ebok.backup"

    saved = ebok(origin, "backup", str(file)).stdout
    assert "30 customers" in saved and f"{len(before['invoices'])} invoices" in saved
    _assert_private(file)
    assert [p.name for p in tmp_path.iterdir()] == ["ebok.backup"]  # no temporary file left beside it

    elsewhere = ebok_env(data_dir=tmp_path / "restored")
    restored = ebok(elsewhere, "restore", str(file)).stdout
    assert "Restored" in restored and "30 customers" in restored

    assert snapshot(elsewhere) == before


@pytest.mark.slow
@pytest.mark.once
def test_sqlite_restore_over_data_needs_force_and_then_replaces_it(seeded_sqlite, tmp_path):
    origin, before = seeded_sqlite
    file = tmp_path / "ebok.backup"
    ebok(origin, "backup", str(file))
    target = ebok_env(data_dir=tmp_path / "target")
    ebok(target, "restore", str(file))
    ebok_python(target, CHANGE)
    changed = snapshot(target)
    assert changed != before

    refused = ebok(target, "restore", str(file), check=False)

    assert refused.returncode == 1
    assert "holds data: 30 customers" in refused.stderr and "--force" in refused.stderr
    assert snapshot(target) == changed  # nothing was touched

    replaced = ebok(target, "restore", "--force", str(file)).stdout

    assert "Replacing the data in" in replaced
    assert snapshot(target) == before


@pytest.mark.slow
@pytest.mark.once
def test_sqlite_backup_while_another_process_is_writing_saves_the_last_committed_state(
    seeded_sqlite, tmp_path
):
    """The application keeps running: a writer holds the write lock with an uncommitted change for the whole
    backup. The backup neither waits for it nor contains its half-done change."""
    origin, before = seeded_sqlite
    database = Path(origin["EBOK_DATA_DIR"]) / "ebok.sqlite3"
    file = tmp_path / "ebok.backup"
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE customers_customer SET name = 'half-done change'")
        writer.execute("DELETE FROM readings_reading")

        ebok(origin, "backup", str(file), timeout=60)
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    elsewhere = ebok_env(data_dir=tmp_path / "restored")
    ebok(elsewhere, "restore", str(file))
    assert snapshot(elsewhere) == before


@pytest.mark.once
def test_sqlite_restore_refuses_what_is_not_a_sound_ebok_backup_and_changes_nothing(seeded_sqlite, tmp_path):
    origin, before = seeded_sqlite
    good = tmp_path / "good.backup"
    ebok(origin, "backup", str(good))
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE things (id integer)")
    damaged = tmp_path / "damaged.backup"
    data = bytearray(good.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8192] = bytes(8192)  # two pages in the middle zeroed
    damaged.write_bytes(bytes(data))

    for file, reason in (
        (not_a_backup, "is not a backup made by `ebok backup`"),
        (foreign, "not an EBOK one"),
        (damaged, "nothing was restored"),
        (tmp_path / "missing.backup", "does not exist"),
    ):
        result = ebok(origin, "restore", "--force", str(file), check=False)
        assert result.returncode == 1, file
        assert reason in result.stderr, (file, result.stderr)

    assert snapshot(origin) == before


# --- PostgreSQL ----------------------------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL and its client tools (run with DATABASE_URL=postgres://...)",
)


@pytest.fixture(scope="module")
def seeded_postgres(tmp_path_factory):
    """A scratch PostgreSQL database, migrated and seeded; (its environment, its snapshot). Dropped after."""
    with scratch_postgres("ebok_backup_origin") as name:
        env = ebok_env(data_dir=tmp_path_factory.mktemp("pg-origin"), database_url=database_url(name))
        ebok(env, "migrate", "-v0")
        ebok(env, *SEED)
        ebok_python(env, ACCOUNTS)
        state = snapshot(env)
        _assert_worth_comparing(state)
        yield env, state


@pytest.mark.slow
@pytest.mark.postgres
@needs_postgres
def test_postgres_dump_restored_into_a_fresh_database_keeps_every_balance_invoice_and_reading(
    seeded_postgres, tmp_path
):
    origin, before = seeded_postgres
    file = tmp_path / "ebok.dump"

    saved = ebok(origin, "backup", str(file)).stdout

    assert "30 customers" in saved and f"{len(before['invoices'])} invoices" in saved
    assert file.read_bytes()[:5] == b"PGDMP"
    _assert_private(file)
    with scratch_postgres("ebok_backup_target") as name:
        target = ebok_env(data_dir=tmp_path / "target", database_url=database_url(name))

        restored = ebok(target, "restore", str(file)).stdout

        assert "Restored" in restored and "30 customers" in restored
        assert snapshot(target) == before

        ebok_python(target, CHANGE)
        changed = snapshot(target)
        refused = ebok(target, "restore", str(file), check=False)
        assert refused.returncode == 1 and "holds data: 30 customers" in refused.stderr
        assert snapshot(target) == changed

        # Someone's report view stands in the way of dropping a table: the restore fails half-way, and its
        # single transaction leaves everything as it was.
        with postgres_connect(name) as db:
            db.execute("CREATE VIEW report_invoices AS SELECT number FROM billing_invoice")
        failed = ebok(target, "restore", "--force", str(file), check=False)
        assert failed.returncode == 1 and "pg_restore failed" in failed.stderr
        assert snapshot(target) == changed
        with postgres_connect(name) as db:
            db.execute("DROP VIEW report_invoices")

        ebok(target, "restore", "--force", str(file))
        assert snapshot(target) == before


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_gets_the_password_through_the_environment_never_on_its_command_line(monkeypatch, tmp_path):
    password = "s3cret-Pa55word"  # noqa: S105 - a test value
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", password)
    calls = []

    def fake_run(args, *, env, **kwargs):
        calls.append((args, env))
        target = next(a for a in args if a.startswith("--file=")).removeprefix("--file=")
        Path(target).write_bytes(b"PGDMP fake archive")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backup_command.subprocess, "run", fake_run)

    call_command("backup", str(tmp_path / "ebok.dump"), stdout=StringIO())

    [(args, env)] = calls
    assert not any(password in arg for arg in args)
    assert env["PGPASSWORD"] == password
    assert env["PGDATABASE"] == connection.settings_dict["NAME"]
    assert any(arg.startswith("--snapshot=") for arg in args)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("command, tool", [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_a_missing_postgresql_tool_is_named_and_nothing_is_written(monkeypatch, tmp_path, command, tool):
    monkeypatch.setattr(backup_command.shutil, "which", lambda name: None)
    file = tmp_path / "ebok.dump"
    if command == "restore":
        file.write_bytes(b"PGDMP a dump")
    before = sorted(tmp_path.iterdir())

    with pytest.raises(CommandError, match=f"{tool} was not found on PATH"):
        call_command(command, str(file))

    assert sorted(tmp_path.iterdir()) == before
