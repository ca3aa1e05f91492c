"""`ebok copy-to-postgres --from FILE`: copy an EBOK SQLite database into the empty PostgreSQL database
that DATABASE_URL names, when a utility moves from SQLite to PostgreSQL (docs/moving-to-postgresql.md).

Nothing is touched before both sides are checked: the source must be a sound EBOK SQLite database migrated
to exactly this version of EBOK (it is only read), the target must be PostgreSQL and hold no data (nothing
but what `ebok migrate` writes by itself) unless --force. The target is migrated, then every table of every
installed app is copied in one transaction: the rows as stored (primary keys kept, no model code runs), read
through Django's converters from one snapshot of the SQLite file and streamed with COPY, so memory stays
bounded whatever the file's size. The rows `ebok migrate` wrote (content types, permissions, roles, interest
rates) are replaced by the source's, whose ids other tables refer to. Sessions are not copied.

Then the sequences are moved past the copied keys, the deferred foreign keys are checked, and the copy is
verified (row counts of every table, every customer's balance, invoice series and counters, payments, user
accounts; each database computes its own figures) before the transaction commits. On any difference nothing
is committed and the command exits non-zero. Uploaded files (meter photos in EBOK_DATA_DIR/media) are not in
the database: the command checks whether they are where this configuration keeps them, and says what to copy.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE

from ebok.accounts.models import User
from ebok.billing.models import Invoice, InvoiceCounter, InvoiceLine
from ebok.common.management.commands.backup import (
    SQLITE_MAGIC,
    count_rows,
    database_label,
    describe,
    human_size,
    sqlite_open,
)
from ebok.payments.models import InterestRate, LedgerEntry, Payment

Model = type[models.Model]

BATCH = GET_ITERATOR_CHUNK_SIZE  # rows fetched at a time
# Tables that are not copied, and why (they are emptied on the target all the same).
SKIPPED: dict[Model, str] = {
    Session: "sessions are not copied: everyone signs in again after the move",
}
# What `ebok migrate` writes into an empty database by itself: a target holding only these rows is empty.
# The copy replaces them with the source's (other tables refer to their ids).
MIGRATE_WRITES = (ContentType, Permission, Group, Group.permissions.through, InterestRate)
# Django's migration history (the target has its own, written by `ebok migrate`) and SQLite's own tables.
NOT_DATA = {"django_migrations", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}


def copied_models() -> list[Model]:
    """Every concrete model with a table of its own, many-to-many tables included, referenced tables first
    (the foreign keys are checked at the end of the transaction anyway, so a cycle does no harm)."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]
    needs = {
        model: {
            field.related_model
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model in found and field.related_model is not model
        }
        for model in found
    }
    ordered: list[Model] = []
    while len(ordered) < len(found):
        ready = [m for m in found if m not in ordered and needs[m] <= set(ordered)]
        ordered += ready or [next(m for m in found if m not in ordered)]
    return ordered


def _fields(model: Model) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not getattr(field, "generated", False)]


def _table(connection: BaseDatabaseWrapper, model: Model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- the source ---------------------------------------------------------------------------------------------


def check_source(path: Path) -> None:
    """CommandError unless `path` is a sound EBOK SQLite database."""
    if not path.is_file():
        raise CommandError(f"{path} does not exist.")
    with open(path, "rb") as file:
        if file.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise CommandError(f"{path} is not an SQLite database; nothing was copied.")
    try:
        with contextlib.closing(sqlite_open(path, read_only=True)) as source:
            check = source.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise CommandError(
            f"{path} can't be read as an SQLite database ({error}); nothing was copied."
        ) from None
    if check != "ok":
        raise CommandError(f"{path} is damaged (integrity check: {check}); nothing was copied.")
    if "django_migrations" not in tables or "customers_customer" not in tables:
        raise CommandError(f"{path} is an SQLite database, but not an EBOK one; nothing was copied.")


@contextlib.contextmanager
def source_database(path: Path) -> Iterator[BaseDatabaseWrapper]:
    """The SQLite file as a read-only Django connection of its own, outside `connections` (queries reach it
    through their compiler), for the duration of the block."""
    source = connections.configure_settings(
        {
            DEFAULT_DB_ALIAS: {},
            "source": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{path.as_uri()}?mode=ro"},
        }
    )["source"]
    connection = SQLiteWrapper(source, alias="source")
    try:
        yield connection
    finally:
        connection.close()


def migration_state(connection: BaseDatabaseWrapper) -> tuple[int, list[str], list[str]]:
    """(migrations recorded, those of this version not applied, those applied but unknown to this version),
    read from django_migrations directly: Django's MigrationExecutor wants a connection in `connections`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        recorded = {(app, name) for app, name in cursor.fetchall()}
    loader = MigrationLoader(None)  # the migrations on disk; a squashed one stands for those it replaces
    replaces = {key: set(migration.replaces) for key, migration in loader.replacements.items()}
    pending = sorted(
        f"{app}.{name}"
        for app, name in loader.graph.nodes
        if (app, name) not in recorded and not ((app, name) in replaces and replaces[(app, name)] <= recorded)
    )
    known = set(loader.graph.nodes).union(*replaces.values())
    return len(recorded), pending, sorted(f"{app}.{name}" for app, name in recorded - known)


def check_source_migrations(source: BaseDatabaseWrapper, path: Path) -> int:
    """The number of migrations applied to the source; CommandError unless they are exactly this version's."""
    applied, pending, unknown = migration_state(source)
    if pending:
        listed = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
        raise CommandError(
            f"{path} lacks {len(pending)} migration(s) of this version of EBOK ({listed}). Migrate it first "
            f"(`EBOK_DATA_DIR={path.parent} ebok migrate`, DATABASE_URL unset); nothing was copied."
        )
    if unknown:
        raise CommandError(
            f"{path} was migrated by a newer version of EBOK ({', '.join(unknown[:5])} unknown here): copy it "
            "with that version; nothing was copied."
        )
    return applied


def source_rows(source: BaseDatabaseWrapper, model: Model, fields: list[models.Field]) -> Iterator[tuple]:
    """The rows of a table in primary key order, as Python values (Django's converters turn SQLite's
    floating-point decimals, 0/1 booleans, text dates and JSON into what the fields hold), fetched in batches."""
    query = model._base_manager.order_by("pk").values_list(*(field.attname for field in fields)).query
    compiler = query.get_compiler(connection=source)
    return compiler.results_iter(chunked_fetch=True, chunk_size=BATCH)


# --- the target ---------------------------------------------------------------------------------------------


def check_target(target: BaseDatabaseWrapper) -> str:
    """A description of the target; CommandError unless it is a PostgreSQL database we can reach."""
    if target.vendor != "postgresql":
        raise CommandError(
            f"The database is {target.display_name} ({database_label(target.alias)}), not PostgreSQL: "
            "copy-to-postgres copies into the PostgreSQL database that DATABASE_URL names "
            "(DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME ebok copy-to-postgres --from FILE)."
        )
    if target.in_atomic_block:
        raise CommandError("Run `ebok copy-to-postgres` outside a transaction.")
    try:
        version = ".".join(map(str, target.get_database_version()))
    except OperationalError as error:
        raise CommandError(
            f"Can't connect to the PostgreSQL database {database_label(target.alias)}: {str(error).strip()}. "
            "Create the database and its role first (docs/moving-to-postgresql.md); nothing was copied."
        ) from None
    return f"{database_label(target.alias)} (PostgreSQL {version})"


def target_contents(target: BaseDatabaseWrapper) -> list[str]:
    """The tables of the target that hold rows `ebok migrate` didn't write (none: an empty database)."""
    exempt = {model._meta.db_table for model in MIGRATE_WRITES}
    holding = []
    with target.cursor() as cursor:
        tables = set(target.introspection.table_names(cursor))
        for model in copied_models():
            if model._meta.db_table in tables and model._meta.db_table not in exempt:
                cursor.execute(f"SELECT 1 FROM {_table(target, model)} LIMIT 1")  # noqa: S608 - a model's table
                if cursor.fetchone() is not None:
                    holding.append(model._meta.db_table)
    return holding


# Django's own fields whose values, as the SQLite converters return them (str, int, bool, Decimal, date, aware
# datetime, UUID…), psycopg writes to PostgreSQL unchanged; any other field's values (JSON, custom fields) go
# through its get_db_prep_save, as a save() would send them. Skipping the no-op halves the CPU time of a copy.
PLAIN = frozenset(
    {
        "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
        "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "BooleanField",
        "CharField", "TextField", "SlugField", "EmailField", "URLField", "FileField", "ImageField",
        "DateField", "DateTimeField", "TimeField", "DecimalField", "FloatField", "UUIDField",
    }
)  # fmt: skip


def _plain(field: models.Field) -> bool:
    value_field = field.target_field if field.is_relation else field
    return (
        type(value_field).__module__.startswith("django.db.models.")
        and value_field.get_internal_type() in PLAIN
    )


def copy_table(source: BaseDatabaseWrapper, target: BaseDatabaseWrapper, model: Model) -> int:
    """Stream one table from the source into the target with COPY; returns the number of rows."""
    fields = _fields(model)
    prepared = [(i, field.get_db_prep_save) for i, field in enumerate(fields) if not _plain(field)]
    columns = ", ".join(target.ops.quote_name(field.column) for field in fields)
    copied = 0
    with (
        target.cursor() as cursor,
        cursor.copy(f"COPY {_table(target, model)} ({columns}) FROM STDIN") as copy,
    ):
        for row in source_rows(source, model, fields):
            if prepared:
                row = list(row)
                for i, prepare in prepared:
                    row[i] = prepare(row[i], target)
            copy.write_row(row)
            copied += 1
    return copied


def reset_sequences(target: BaseDatabaseWrapper, copied: list[Model]) -> int:
    statements = target.ops.sequence_reset_sql(no_style(), copied)
    with target.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return len(statements)


# --- the verification ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Check:
    name: str
    equal: bool
    detail: str


def _rows(connection: BaseDatabaseWrapper, sql: str) -> Iterator[tuple]:
    """The rows of a query, fetched in batches (through a server-side cursor on PostgreSQL)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield from batch


class _Sql:
    """Quoted names of a model's table and columns, so that both databases run the same query text."""

    def __init__(self, connection: BaseDatabaseWrapper):
        self.quote = connection.ops.quote_name

    def table(self, model: Model) -> str:
        return self.quote(model._meta.db_table)

    def column(self, model: Model, name: str) -> str:
        return self.quote(model._meta.get_field(name).column)

    def grosze(self, model: Model, name: str) -> str:
        """The sum of an amount column in whole grosze: exact in both databases (SQLite stores decimals as
        floating-point numbers, so a sum of the amounts themselves could be off in the last digit)."""
        return f"SUM(CAST(ROUND({self.column(model, name)} * 100) AS BIGINT))"


def _ledger(q: _Sql) -> str:
    customer = q.column(LedgerEntry, "customer")
    amounts = q.grosze(LedgerEntry, "amount")
    return f"SELECT {customer}, count(*), {amounts} FROM {q.table(LedgerEntry)} GROUP BY 1 ORDER BY 1"  # noqa: S608


def _counters(q: _Sql) -> str:
    columns = ", ".join(q.column(InvoiceCounter, name) for name in ("series", "year", "last_number"))
    return f"SELECT {columns} FROM {q.table(InvoiceCounter)} ORDER BY 1, 2"  # noqa: S608


def _invoices(q: _Sql) -> str:
    kind, year, sequence = (q.column(Invoice, name) for name in ("kind", "year", "sequence"))
    gross = q.grosze(Invoice, "total_gross")
    return (
        f"SELECT {kind}, {year}, count(*), max({sequence}), {gross} "  # noqa: S608
        f"FROM {q.table(Invoice)} GROUP BY 1, 2 ORDER BY 1, 2"
    )


def _lines(q: _Sql) -> str:
    side, net = q.column(InvoiceLine, "side"), q.grosze(InvoiceLine, "net")
    return f"SELECT {side}, count(*), {net} FROM {q.table(InvoiceLine)} GROUP BY 1 ORDER BY 1"  # noqa: S608


def _payments(q: _Sql) -> str:
    return f"SELECT count(*), {q.grosze(Payment, 'amount')} FROM {q.table(Payment)}"  # noqa: S608


def _accounts(q: _Sql) -> str:
    columns = ", ".join(
        q.column(User, name) for name in ("id", "username", "password", "is_active", "is_staff")
    )
    return f"SELECT {columns} FROM {q.table(User)} ORDER BY 1"  # noqa: S608


def _compare(
    source: BaseDatabaseWrapper, target: BaseDatabaseWrapper, query: Callable[[_Sql], str]
) -> tuple[list[tuple], int, list[tuple]]:
    """Run the query on both databases and compare the results row by row (0/1 equals False/True, an integer
    the same Decimal); (the target's first rows, how many rows differ, the first differences)."""
    first: list[tuple] = []
    differing, examples = 0, []
    for mine, theirs in zip_longest(_rows(source, query(_Sql(source))), _rows(target, query(_Sql(target)))):
        if len(first) < 10:
            first.append(theirs)
        if mine != theirs:
            differing += 1
            if len(examples) < 3:
                examples.append((mine, theirs))
    return first, differing, examples


def _zl(grosze: int | None) -> str:
    return f"{int(grosze or 0) / 100:,.2f}".replace(",", " ") + " zł"


def verify(
    source: BaseDatabaseWrapper,
    target: BaseDatabaseWrapper,
    copied: list[Model],
    source_counts: dict[Model, int],
) -> list[Check]:
    """Row counts of every copied table, then the money and the accounts, each database computing its own."""

    def differ(differing: int, examples: list[tuple]) -> str:
        return f"{differing} rows differ, e.g. (SQLite, PostgreSQL) {examples}"

    checks = []
    unequal = []
    with target.cursor() as cursor:
        for model in copied:
            cursor.execute(f"SELECT count(*) FROM {_table(target, model)}")  # noqa: S608 - a model's table
            if (found := cursor.fetchone()[0]) != source_counts[model]:
                unequal.append(f"{model._meta.db_table} {source_counts[model]} → {found}")
    total = sum(source_counts.values())
    checks.append(
        Check(
            "row counts",
            not unequal,
            "; ".join(unequal) or f"{len(copied)} tables, {total} rows, equal in both",
        )
    )

    _first, differing, examples = _compare(source, target, _ledger)
    q = _Sql(target)
    customer, amounts = q.column(LedgerEntry, "customer"), q.grosze(LedgerEntry, "amount")
    [(customers, owed)] = _rows(
        target,
        f"SELECT count(DISTINCT {customer}), {amounts} FROM {q.table(LedgerEntry)}",  # noqa: S608
    )
    checks.append(
        Check(
            "balances (ledger entries per customer)",
            not differing,
            differ(differing, examples)
            if differing
            else f"{customers} customers, Σ {_zl(owed)}, equal in both",
        )
    )

    first, differing, examples = _compare(source, target, _counters)
    shown = ", ".join(f"{series}/{year}: {last}" for series, year, last in first[:6] if series)
    checks.append(
        Check(
            "invoice counters",
            not differing,
            differ(differing, examples) if differing else f"{shown or 'none yet'}, equal in both",
        )
    )

    _first, differing, examples = _compare(source, target, _invoices)
    _first, line_differing, line_examples = _compare(source, target, _lines)
    checks.append(
        Check(
            "invoices",
            not differing and not line_differing,
            differ(differing + line_differing, examples + line_examples)
            if differing or line_differing
            else "count, last number and Σ gross per series and year, Σ net of the lines, equal in both",
        )
    )

    [(payments, paid)], differing, examples = _compare(source, target, _payments)
    checks.append(
        Check(
            "payments",
            not differing,
            differ(differing, examples) if differing else f"{payments}, Σ {_zl(paid)}, equal in both",
        )
    )

    _first, differing, examples = _compare(source, target, _accounts)
    checks.append(
        Check(
            "user accounts",
            not differing,
            f"{differing} differ (ids {[(mine or theirs)[0] for mine, theirs in examples]})"
            if differing
            else f"{source_counts[User]} (usernames, password hashes, active and staff flags), equal in both",
        )
    )
    return checks


def media_advice(target: BaseDatabaseWrapper, path: Path, copied: list[Model]) -> str:
    """Whether the uploaded files the rows refer to are where this configuration keeps them (MEDIA_ROOT), and
    if not, what to copy: they are not in the database."""
    media_root = Path(settings.MEDIA_ROOT).resolve()
    referenced = missing = 0
    for model in copied:
        for field in _fields(model):
            if isinstance(field, models.FileField):
                names = model._base_manager.using(target.alias).exclude(**{field.attname: ""})
                for name in names.values_list(field.attname, flat=True).iterator(chunk_size=BATCH):
                    referenced += 1
                    missing += not (media_root / name).is_file()
    if not referenced:
        return "Uploaded files: the database refers to none, there is nothing to copy."
    if not missing:
        return f"Uploaded files: all {referenced} the database refers to are in {media_root}."
    old_media = (path.parent / "media").resolve()
    return (
        f"Uploaded files: {missing} of the {referenced} the database refers to (meter photos) are not in "
        f"{media_root}. They are not in the database: copy them before starting EBOK, e.g. "
        f"`rsync -a {old_media}/ {media_root}/`, or keep EBOK_DATA_DIR={path.parent}."
    )


@contextlib.contextmanager
def read_snapshot(source: BaseDatabaseWrapper) -> Iterator:
    """A cursor inside a read transaction of the SQLite file: every query sees it as of the first one."""
    with source.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            yield cursor
        finally:
            cursor.execute("ROLLBACK")  # only read


@contextlib.contextmanager
def rolled_back(what: str) -> Iterator[None]:
    """A database error in the block ends the command: the transaction around it rolls back."""
    try:
        yield
    except DatabaseError as error:
        raise CommandError(
            f"{what}: {str(error).strip()}. Nothing was copied (the transaction was rolled back)."
        ) from None


class Command(BaseCommand):
    help = (
        "Copy an EBOK SQLite database (--from FILE) into the empty PostgreSQL database that DATABASE_URL "
        "names: migrate it, copy every table in one transaction, verify the copy. Stop the web application "
        "and the worker first (docs/moving-to-postgresql.md)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="source", required=True, metavar="FILE", help="the SQLite database (ebok.sqlite3)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="delete everything the PostgreSQL database holds before copying (back it up first)",
        )

    def handle(self, *args, source: str, force: bool, **options) -> None:
        started = time.monotonic()
        target = connections[DEFAULT_DB_ALIAS]
        path = Path(source).expanduser().resolve()
        label = check_target(target)
        check_source(path)
        with source_database(path) as sqlite:
            applied = check_source_migrations(sqlite, path)
            with sqlite.cursor() as cursor:
                counts = count_rows(cursor, set(sqlite.introspection.table_names(cursor)))
            size = human_size(path.stat().st_size)
            self.stdout.write(f"From: {path} ({size}, {applied} migrations, up to date): {describe(counts)}.")
            if "django_migrations" in target.introspection.table_names() and (
                unknown := migration_state(target)[2]
            ):
                raise CommandError(
                    f"The database {label} was migrated by a newer version of EBOK ({', '.join(unknown[:5])} "
                    "unknown here): use an empty database; nothing was copied."
                )
            holding = target_contents(target)
            if holding:
                listed = ", ".join(holding[:5]) + (f", {len(holding) - 5} more" if len(holding) > 5 else "")
                if not force:
                    raise CommandError(
                        f"The database {label} holds data (in {listed}). copy-to-postgres copies into an empty "
                        "database: create a new one, or back this one up (`ebok backup FILE`) and run again with "
                        "--force to delete everything in it first. Nothing was copied."
                    )
                self.stdout.write(f"Deleting everything in {label} (data in {listed}).")
            self.stdout.write(f"To: {label}. Migrating it… ", ending="")
            self.stdout.flush()
            began = time.monotonic()
            call_command("migrate", database=target.alias, interactive=False, verbosity=0)
            self.stdout.write(f"done ({time.monotonic() - began:.1f} s).")
            copied = self._copy(sqlite, target, path)
        self.stdout.write(media_advice(target, path, copied))
        self.stdout.write(
            f"Done in {time.monotonic() - started:.1f} s. Next: put this DATABASE_URL into EBOK's environment, "
            f"start the web application and the worker. Keep {path}: it is the way back."
        )

    def _copy(self, source: BaseDatabaseWrapper, target: BaseDatabaseWrapper, path: Path) -> list[Model]:
        every = copied_models()
        copied = [model for model in every if model not in SKIPPED]
        tables = set(source.introspection.table_names())
        if absent := [m._meta.db_table for m in copied if m._meta.db_table not in tables]:
            # Not with the migrations checked, unless someone dropped a table by hand.
            raise CommandError(f"{path} lacks the tables {', '.join(absent)}; nothing was copied.")
        unknown = sorted(tables - {m._meta.db_table for m in every} - NOT_DATA)
        width = max(len(model._meta.db_table) for model in every)
        source_counts: dict[Model, int] = {}
        started = time.monotonic()
        # One snapshot of the source, one transaction on the target: all or nothing. The TRUNCATE locks the
        # tables until the commit, so nobody sees them half-copied.
        with transaction.atomic(using=target.alias), read_snapshot(source) as snapshot:
            with rolled_back(f"{database_label(target.alias)} can't be emptied"), target.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(_table(target, model) for model in every)}")
            self.stdout.write(f"Copying {len(copied)} tables in one transaction:")
            for model in copied:
                began = time.monotonic()
                with rolled_back(f"Copying {model._meta.db_table} failed"):
                    rows = copy_table(source, target, model)
                snapshot.execute(f"SELECT count(*) FROM {_table(source, model)}")  # noqa: S608 - a model's table
                source_counts[model] = snapshot.fetchone()[0]
                seconds = time.monotonic() - began
                self.stdout.write(f"  {model._meta.db_table:<{width}}  {rows:>10} rows  {seconds:6.1f} s")
            for model, reason in SKIPPED.items():
                self.stdout.write(f"  {model._meta.db_table:<{width}}  skipped: {reason}")
            for table in unknown:
                self.stdout.write(f"  {table:<{width}}  not copied: no model of this version of EBOK uses it")
            self.stdout.write(f"Reset {reset_sequences(target, copied)} sequences past the copied keys.")
            with rolled_back("The copied rows break a constraint (repair the SQLite database and run again)"):
                target.check_constraints()  # the deferred foreign keys: now, rather than at the commit
            self.stdout.write("Verifying (each database computes its own figures):")
            checks = verify(source, target, copied, source_counts)
            for check in checks:
                self.stdout.write(f"  {'ok  ' if check.equal else 'DIFF'} {check.name}: {check.detail}")
            if failed := [check.name for check in checks if not check.equal]:
                raise CommandError(
                    f"The copy differs from {path} ({', '.join(failed)}). Nothing was copied (the transaction was "
                    "rolled back): the PostgreSQL database is migrated and empty."
                )
        ContentType.objects.clear_cache()  # the ids are the source's now
        rows, seconds = sum(source_counts.values()), time.monotonic() - started
        self.stdout.write(
            f"Committed: {rows} rows in {database_label(target.alias)}, copied and verified in {seconds:.1f} s."
        )
        return copied
