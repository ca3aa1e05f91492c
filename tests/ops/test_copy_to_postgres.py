"""`ebok copy-to-postgres`: an SQLite database moved into PostgreSQL keeps every row, balance, invoice and login,
and EBOK goes on working there: the next invoice continues its series, new rows get new keys.

The copy test builds its source with `ebok` in a subprocess (the seeded utility plus staff with a second factor,
a portal account, a correction invoice, consents, a queued message and its task, an API token, a session and a
meter photo) and copies it, with `ebok` again, into a scratch database on the suite's PostgreSQL server (dropped
afterwards). The refusals run the command in-process against the suite's own database.
"""

from __future__ import annotations

import importlib
import json
import re
import sqlite3
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.migrations.loader import MigrationLoader

from ebok.customers.models import Customer
from ebok.payments.models import InterestRate
from tests import factories
from tests.ops.scratch import SNAPSHOT, database_url, ebok, ebok_env, postgres_connect, scratch_postgres

copy_to_postgres = importlib.import_module(
    "ebok.common.management.commands.copy-to-postgres"
)  # ebok copy-to-postgres

SQLITE = "django.db.backends.sqlite3"

# Everything a utility's database holds besides the seeded history; then a snapshot of it all.
SETUP = """
import json
from decimal import Decimal
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from ebok.billing.models import Invoice, InvoiceMeterReading
from ebok.billing.services import invoice_correct, last_billed_end
from ebok.common.actor import CLI
from ebok.demo.seeding import ensure_demo_users, seed_utility
from ebok.integrations.services import api_token_create
from ebok.notifications.services import consents_set, notify_invoice_issued
from ebok.accounts.models import User
from ebok.readings.models import Reading

call_command("migrate", verbosity=0)
seed_utility(customers=12, years=1, seed=5)
ensure_demo_users()  # staff of every role with a TOTP device, a portal account, registrations, routes
staff = User.objects.filter(is_staff=True, totpdevice__isnull=False).order_by("id").first()
api_token_create(actor=CLI, user=staff, name="bank import")
billed = next(
    m for m in InvoiceMeterReading.objects.filter(invoice__kind="invoice").order_by("-invoice__period_end")
    if m.invoice.period_end == last_billed_end(m.invoice.service_point)
)
invoice_correct(actor=CLI, invoice=billed.invoice, reason="Błędny odczyt",
                readings={billed.meter_id: billed.new_value + Decimal("1.000")})
customer = billed.invoice.customer
customer.email = customer.email or "klient@example.org"
customer.save(update_fields=["email"])
consents_set(actor=CLI, customer=customer, wanted={("invoice_issued", "email"): True, ("outage", "sms"): True},
             channel="office")
notify_invoice_issued(billed.invoice)
session = SessionStore()
session["note"] = "signed in before the move"
session.create()
photo = default_storage.save("readings/meter.jpg", ContentFile(b"not really a JPEG"))
Reading.objects.filter(pk=Reading.objects.order_by("id").first().pk).update(photo=photo)
print("@@" + json.dumps({"corrections": Invoice.objects.filter(kind="correction").count()}))
"""

# A digest of every table's rows (sessions aside, they are not copied) that ignores the order of keys in JSON
# values: PostgreSQL's jsonb keeps its own order, SQLite the order they were written in; the values are the same.
TABLES = """
import hashlib, json
from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder

digests = {}
for model in apps.get_models():
    if model._meta.label != "sessions.Session":
        rows = serializers.serialize("python", model._base_manager.order_by("pk"))
        text = json.dumps(rows, sort_keys=True, cls=DjangoJSONEncoder)
        digests[model._meta.label] = [len(rows), hashlib.sha256(text.encode()).hexdigest()]
print("@@" + json.dumps(digests))
"""

# On the copy: who can sign in, and what EBOK writes next. One JSON line starting with "@@".
AFTER_COPY = """
import json
from decimal import Decimal
from django.contrib.auth import authenticate
from django_otp.oath import TOTP
from ebok.billing.models import Invoice, InvoiceCounter
from ebok.billing.services import invoice_issue, last_billed_end
from ebok.common.actor import CLI
from ebok.company.models import Company
from ebok.demo.seeding import DEMO_USERS
from ebok.payments.models import LedgerEntry, Payment
from ebok.payments.services import payment_record
from ebok.readings.models import Reading

logins = {}
for role, username, password, _label in DEMO_USERS:
    user = authenticate(username=username, password=password)
    device = user.totpdevice_set.filter(confirmed=True).first() if user else None
    logins[username] = {
        "staff": role is not None,
        "password": user is not None,
        "code": device is not None and device.verify_token(f"{TOTP(device.bin_key).token():06d}"),
        "permissions": len(user.get_all_permissions()) if user else 0,
    }
reading = next(
    r for r in Reading.objects.filter(status="accepted").select_related("meter__service_point").order_by("-date")
    if r.date > last_billed_end(r.meter.service_point)
)
year = reading.date.year
counter = InvoiceCounter.objects.get(series="invoice", year=year).last_number
top = {m.__name__: m.objects.order_by("-id").values_list("id", flat=True).first() for m in (Invoice, Payment, LedgerEntry)}
invoice = invoice_issue(actor=CLI, service_point=reading.meter.service_point, up_to=reading.date, issue_date=reading.date)
payment = payment_record(actor=CLI, customer=invoice.customer, amount=Decimal("10.00"), received_on=reading.date,
                         title=f"Faktura {invoice.number}")
sequences = sorted(Invoice.objects.filter(kind="invoice", year=year).values_list("sequence", flat=True))
print("@@" + json.dumps({
    "logins": logins,
    "counter_before": counter,
    "sequence": invoice.sequence,
    "number": invoice.number,
    "expected_number": Company.objects.get().invoice_series_pattern.format(year=year, number=counter + 1),
    "gap_free": sequences == list(range(1, len(sequences) + 1)),
    "counter_after": InvoiceCounter.objects.get(series="invoice", year=year).last_number,
    "new_keys_above": [invoice.pk > top["Invoice"], payment.pk > top["Payment"],
                       invoice.ledger_entry.pk > top["LedgerEntry"], payment.ledger_entry.pk > top["LedgerEntry"]],
}))
"""


def _shell(env: dict[str, str], code: str) -> list:
    """Run code in `ebok shell`; every line it prints starting with "@@", parsed as JSON."""
    out = ebok(env, "shell", "-c", code).stdout
    return [json.loads(line[2:]) for line in out.splitlines() if line.startswith("@@")]


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory) -> tuple[Path, dict]:
    """An EBOK SQLite database with a bit of everything; (its file, its snapshot)."""
    data_dir = tmp_path_factory.mktemp("sqlite-source")
    made, state, tables = _shell(ebok_env(data_dir=data_dir), SETUP + SNAPSHOT + TABLES)
    assert made["corrections"] == 1
    rows = {label: count for label, (count, _digest) in state["tables"].items()}
    assert rows["billing.Invoice"] > 30 and rows["notifications.ConsentEvent"] == 2
    assert rows["otp_totp.TOTPDevice"] >= 4 and rows["notifications.Message"] >= 1
    assert rows["sessions.Session"] == 1 and rows["django_tasks_database.DBTaskResult"] >= 1
    return data_dir / "ebok.sqlite3", {**state, "tables": tables}


def _counts(name: str) -> tuple[int, int]:
    with postgres_connect(name) as db:
        return db.execute(
            "SELECT (SELECT count(*) FROM billing_invoice), (SELECT count(*) FROM payments_payment)"
        ).fetchone()


@pytest.mark.slow
@pytest.mark.postgres
def test_sqlite_database_copied_into_postgres_keeps_every_row_and_ebok_goes_on_there(sqlite_source, tmp_path):
    file, before = sqlite_source
    with scratch_postgres("ebok_copy_target") as name:
        target = ebok_env(data_dir=tmp_path / "pg-data", database_url=database_url(name))

        out = ebok(target, "copy-to-postgres", "--from", str(file)).stdout

        assert "DIFF" not in out and out.count("  ok   ") == 6, out
        assert "django_session" in out and "skipped" in out
        assert "Committed" in out
        # The photo stays in the old data directory: the command says where to copy it from and to.
        assert (
            f"1 of the 1 the database refers to (meter photos) are not in {tmp_path / 'pg-data' / 'media'}."
            in out
        )
        assert f"rsync -a {file.parent / 'media'}/ {tmp_path / 'pg-data' / 'media'}/" in out

        state, tables, after = _shell(target, SNAPSHOT + TABLES + AFTER_COPY)

        # Every table's rows identical (ids of content types and permissions included), balances, invoices.
        assert [label for label, digest in tables.items() if before["tables"][label] != digest] == []
        assert {**state, "tables": tables} == before
        assert state["tables"]["sessions.Session"][0] == 0
        # Staff sign in with their password and their TOTP device; their roles' permissions resolve.
        logins = after["logins"].values()
        assert all(login["password"] for login in logins) and len(logins) == 5, after
        assert all(login["code"] and login["permissions"] > 0 for login in logins if login["staff"]), after
        # The next invoice continues its series, gap-free; the sequences give new rows new keys.
        assert after["sequence"] == after["counter_before"] + 1 == after["counter_after"]
        assert after["number"] == after["expected_number"]
        assert after["gap_free"] and all(after["new_keys_above"]), after

        # The copy is in use now (one more invoice and payment): --force empties it and copies again.
        assert _counts(name) == (len(before["invoices"]) + 1, before["tables"]["payments.Payment"][0] + 1)
        again = ebok(target, "copy-to-postgres", "--force", "--from", str(file)).stdout
        assert "Deleting everything in" in again and "DIFF" not in again and "Committed" in again
        assert _counts(name) == (len(before["invoices"]), before["tables"]["payments.Payment"][0])


def _migrated_as(path: Path, migrations: set[tuple[str, str]], *, schema: bool = False) -> Path:
    """An SQLite file recording `migrations` as applied, with EBOK's tables (schema) or just enough of them
    for the source checks; quicker than running the migrations."""
    if schema:
        settings = connections.configure_settings(
            {"default": {}, "scratch": {"ENGINE": SQLITE, "NAME": path}}
        )
        database = SQLiteWrapper(settings["scratch"], alias="scratch")
        with database.schema_editor(atomic=False) as editor:  # atomic() wants an alias of `connections`
            for model in apps.get_models():  # their many-to-many tables come with them
                editor.create_model(model)
        database.close()
    with sqlite3.connect(path) as database:
        if not schema:
            database.execute("CREATE TABLE customers_customer (id integer PRIMARY KEY)")
        database.execute("CREATE TABLE django_migrations (id integer PRIMARY KEY, app, name, applied)")
        database.executemany(
            "INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, '2026-01-01')",
            sorted(migrations),
        )
    return path


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copy_refuses_a_source_that_is_not_a_current_ebok_database_or_a_target_that_holds_data(
    company, tmp_path
):
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE things (id integer)")
    current = set(MigrationLoader(None).graph.nodes)
    last_payments = max(key for key in current if key[0] == "payments")
    behind = _migrated_as(tmp_path / "behind.sqlite3", current - {last_payments})
    ahead = _migrated_as(tmp_path / "ahead.sqlite3", current | {("billing", "0999_future")})

    for source, reason in (
        (tmp_path / "missing.sqlite3", "does not exist"),
        (text, "is not an SQLite database"),
        (foreign, "not an EBOK one"),
        (behind, f"lacks 1 migration(s) of this version of EBOK ({'.'.join(last_payments)})"),
        (ahead, "migrated by a newer version of EBOK (billing.0999_future unknown here)"),
    ):
        with pytest.raises(CommandError, match=re.escape(reason)):
            call_command("copy-to-postgres", "--from", str(source))

    # A source this version could copy, but the target was migrated by a newer version.
    source = _migrated_as(tmp_path / "current.sqlite3", current)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('billing', '0999_x', now())"
        )
    try:
        with pytest.raises(
            CommandError, match=re.escape("newer version of EBOK (billing.0999_x unknown here)")
        ):
            call_command("copy-to-postgres", "--from", str(source))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE name = '0999_x'")

    # Or the target holds data: refused, nothing touched.
    tables = set(connection.introspection.table_names())
    customer = factories.make_customer()
    with pytest.raises(CommandError, match="holds data .*customers_customer.*--force"):
        call_command("copy-to-postgres", "--from", str(source))
    assert list(Customer.objects.values_list("pk", flat=True)) == [customer.pk]
    assert set(connection.introspection.table_names()) == tables


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_copy_that_differs_from_its_source_is_rolled_back_and_fails(tmp_path, monkeypatch):
    source = _migrated_as(tmp_path / "source.sqlite3", set(MigrationLoader(None).graph.nodes), schema=True)
    with sqlite3.connect(source) as database:
        database.executemany(
            "INSERT INTO payments_interestrate (kind, valid_from, annual_percent, note) VALUES (?, ?, ?, '')",
            [("statutory", "2020-01-01", "7.00"), ("statutory", "2021-01-01", "6.50")],
        )
    rates = list(InterestRate.objects.values_list("pk", "valid_from"))
    read = copy_to_postgres.source_rows

    def one_row_lost(source, model, fields):
        rows = read(source, model, fields)
        if model is InterestRate:
            next(rows)
        return rows

    monkeypatch.setattr(copy_to_postgres, "source_rows", one_row_lost)
    out = StringIO()

    with pytest.raises(CommandError, match=r"differs from .*\(row counts\)\. Nothing was copied"):
        call_command("copy-to-postgres", "--from", str(source), stdout=out)

    assert "DIFF row counts: payments_interestrate 2 → 1" in out.getvalue()
    assert list(InterestRate.objects.values_list("pk", "valid_from")) == rates  # the TRUNCATE rolled back too


@pytest.mark.once
def test_copy_refuses_a_target_that_is_not_postgresql(tmp_path):
    """Without DATABASE_URL the configured database is SQLite: the command says how to name PostgreSQL."""
    env = ebok_env(data_dir=tmp_path)

    refused = ebok(env, "copy-to-postgres", "--from", str(tmp_path / "ebok.sqlite3"), check=False)

    assert refused.returncode == 1
    assert "not PostgreSQL" in refused.stderr and "DATABASE_URL=postgres://" in refused.stderr
