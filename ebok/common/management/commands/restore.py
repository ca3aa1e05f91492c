"""`ebok restore FILE [--force]`: put a backup made by `ebok backup` back into the configured database.

The backup is checked before anything is touched (an SQLite file must pass its integrity check and be an EBOK
database; a PostgreSQL archive must be readable by pg_restore). A database that holds data is replaced only
with --force, after saying what it holds. SQLite: the backup API copies the file into the database, taking
the database's write lock, so no process sees half of it. PostgreSQL: `pg_restore --clean --if-exists
--no-owner` in a single transaction: all of the backup, or (on any error) nothing changed.

Stop the web application and the worker before restoring: they would otherwise go on with what they had read
from the old data.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from ebok.common.management.commands.backup import (
    PGDUMP_MAGIC,
    SQLITE_MAGIC,
    count_rows,
    database_counts,
    database_label,
    describe,
    engine,
    pg_tool,
    run_pg_tool,
    sqlite_open,
)


def _format(source: Path) -> str:
    with open(source, "rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise CommandError(
        f"{source} is not a backup made by `ebok backup` (neither SQLite nor pg_dump custom format)."
    )


def _check_sqlite_backup(source: Path) -> dict[str, int]:
    """The counts in the backup; CommandError if it is damaged or not an EBOK database."""
    try:
        with contextlib.closing(sqlite_open(source, read_only=True)) as backup:
            check = backup.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            counts = count_rows(backup.cursor(), tables)
    except sqlite3.DatabaseError as error:
        raise CommandError(
            f"{source} can't be read as an SQLite database ({error}); nothing was restored."
        ) from None
    if check != "ok":
        raise CommandError(f"{source} is damaged (integrity check: {check}); nothing was restored.")
    if "django_migrations" not in tables or "customers_customer" not in tables:
        raise CommandError(f"{source} is an SQLite database, but not an EBOK one; nothing was restored.")
    return counts


def _restore_sqlite(alias: str, source: Path) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    with contextlib.closing(sqlite_open(source, read_only=True)) as backup:
        backup.backup(connection.connection)
    connection.close()


def _restore_postgres(alias: str, source: Path) -> None:
    pg_restore = pg_tool("pg_restore")
    try:
        run_pg_tool([pg_restore, "--list", str(source)], alias)
    except CommandError as error:
        raise CommandError(
            f"{source} can't be read as a pg_dump archive; nothing was restored. {error}"
        ) from None
    name = connections[alias].settings_dict["NAME"]
    run_pg_tool(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={name}",  # the name only: host, user and password go through the environment
            str(source),
        ],
        alias,
    )


class Command(BaseCommand):
    help = (
        "Replace the database with a backup made by `ebok backup` (refuses to overwrite data without "
        "--force). Stop the web application and the worker first."
    )
    requires_system_checks: list[str] = []  # a restore must work even when some check complains

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--force", action="store_true", help="replace the database even though it holds data"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def handle(self, *args, file: str, force: bool, database: str, **options) -> None:
        kind = engine(database)
        source = Path(file).expanduser().resolve()
        if not source.is_file():
            raise CommandError(f"{source} does not exist.")
        found = _format(source)
        if found != kind:
            names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
            raise CommandError(
                f"{source} is a backup of a {names[found]} database, but the database is {names[kind]} "
                "(check DATABASE_URL); nothing was restored."
            )
        if kind == "sqlite":
            _check_sqlite_backup(source)
        else:
            pg_tool("pg_restore")  # before anything else, so a missing tool is the first thing said
        target = database_label(database)
        current = database_counts(database)
        if any(current.values()):
            if not force:
                raise CommandError(
                    f"The database {target} holds data: {describe(current)}. Restoring {source} replaces all "
                    "of it. Back it up first (`ebok backup FILE`), then run the restore again with --force."
                )
            self.stdout.write(f"Replacing the data in {target}: {describe(current)}.")
        connections.close_all()  # nothing of ours may hold the old database open while it is replaced
        if kind == "sqlite":
            _restore_sqlite(database, source)
        else:
            _restore_postgres(database, source)
        connections.close_all()
        self.stdout.write(f"Restored {source} into {target}: {describe(database_counts(database))}.")
        connection = connections[database]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write(
                "The backup was made by an older version of EBOK: run `ebok migrate` before starting it."
            )
