"""`ebok backup FILE`: a consistent copy of the database, taken while EBOK runs, written atomically.

SQLite: the online backup API copies the database as it was at one moment, while the application goes on
reading and writing. PostgreSQL: `pg_dump --format=custom` of a snapshot this command exports and counts from,
so the summary describes exactly what the file holds. pg_dump gets the connection parameters through PG*
environment variables, never on its command line (where `ps` would show the password to every local user).

The file appears only when it is complete (written to a temporary file beside it, then renamed), readable by
its owner only. `ebok restore FILE` puts it back; the helpers below are shared with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.sqlite3._functions import register as register_sqlite_functions

from ebok.accounts.models import User
from ebok.billing.models import Invoice
from ebok.customers.models import Customer
from ebok.payments.models import Payment
from ebok.readings.models import Reading

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
COUNTED = {
    "customers": Customer,
    "invoices": Invoice,
    "readings": Reading,
    "payments": Payment,
    "user accounts": User,
}
# Django's connection OPTIONS that libpq also reads from the environment.
PG_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def engine(alias: str) -> str:
    """ "sqlite" or "postgresql"; anything else is not supported."""
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise CommandError(f"Backups are supported for SQLite and PostgreSQL, not {vendor}.")
    return vendor


def count_rows(cursor, tables: set[str]) -> dict[str, int]:
    """Rows of the counted tables, through any DB-API cursor; a table that doesn't exist counts 0."""
    counts = {}
    for label, model in COUNTED.items():
        table = model._meta.db_table
        if table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a model's table name
            counts[label] = cursor.fetchone()[0]
        else:
            counts[label] = 0
    return counts


def database_counts(alias: str) -> dict[str, int]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return count_rows(cursor, set(connection.introspection.table_names(cursor)))


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label}" for label, n in counts.items())


def human_size(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def database_label(alias: str) -> str:
    settings = connections[alias].settings_dict
    if engine(alias) == "sqlite":
        return str(settings["NAME"])
    return f"{settings['NAME']} on {settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 5432}"


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the server's major version "
            f"(Debian: apt install postgresql-client), or run {name} by hand as docs/deployment.md describes."
        )
    return path


def pg_environment(alias: str) -> dict[str, str]:
    """The process environment plus PGHOST, PGPASSWORD… from the database settings (libpq reads them)."""
    settings = connections[alias].settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    for option, variable in PG_OPTIONS.items():
        if settings.get("OPTIONS", {}).get(option):
            env[variable] = str(settings["OPTIONS"][option])
    return env


def run_pg_tool(args: list[str], alias: str) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - the tool found by pg_tool, our own arguments, no shell
        args, env=pg_environment(alias), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tool = Path(args[0]).name
        raise CommandError(f"{tool} failed (exit code {result.returncode}): {result.stderr.strip()}")
    return result


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A new empty file beside `target` (mode 0600) to write into; renamed over `target` when the block ends
    without an error, removed otherwise, so `target` is never a half-written backup."""
    if target.is_dir():
        raise CommandError(f"{target} is a directory; give the name of the backup file.")
    if not target.parent.is_dir():
        raise CommandError(f"The directory {target.parent} does not exist.")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def sqlite_open(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection with Django's SQL functions (the CHECK constraints use REGEXP), so that the
    integrity check can evaluate every constraint."""
    uri = f"{path.as_uri()}?mode=ro" if read_only else path.as_uri()
    database = sqlite3.connect(uri, uri=True)
    register_sqlite_functions(database)
    return database


def _backup_sqlite(alias: str, temporary: Path) -> dict[str, int]:
    connection = connections[alias]
    connection.ensure_connection()
    with contextlib.closing(sqlite_open(temporary)) as copy:
        # One step (pages=-1) copies the database as of one moment, even while other processes write.
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise CommandError(f"The copy failed its integrity check: {check}")
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return count_rows(copy.cursor(), tables)


def _backup_postgres(alias: str, temporary: Path) -> dict[str, int]:
    pg_dump = pg_tool("pg_dump")
    connection = connections[alias]
    if connection.in_atomic_block:
        raise CommandError("Run `ebok backup` outside a transaction.")
    # pg_dump works from the snapshot this transaction exports, so the counts match the file exactly.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = count_rows(cursor, set(connection.introspection.table_names(cursor)))
        run_pg_tool(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={temporary}"],
            alias,
        )
    with open(temporary, "rb") as dump:
        if dump.read(len(PGDUMP_MAGIC)) != PGDUMP_MAGIC:
            raise CommandError("pg_dump did not write a custom-format archive.")
    return counts


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to FILE while EBOK runs (SQLite: online backup API; "
        "PostgreSQL: pg_dump --format=custom). Restore it with `ebok restore FILE`."
    )
    requires_system_checks: list[str] = []  # a backup must work even when some check complains

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write the backup (replaced atomically if it exists)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def handle(self, *args, file: str, database: str, **options) -> None:
        kind = engine(database)
        target = Path(file).expanduser().resolve()
        with atomic_file(target) as temporary:
            if kind == "sqlite":
                counts = _backup_sqlite(database, temporary)
            else:
                counts = _backup_postgres(database, temporary)
        size = target.stat().st_size
        self.stdout.write(
            f"Saved {database_label(database)} to {target} ({human_size(size)}): {describe(counts)}."
        )
