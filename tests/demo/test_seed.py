"""`ebok seed` and `ebok demo`: a realistic synthetic utility that obeys every billing rule, deterministically."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Max, Sum
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel

from ebok.accounts.models import CustomerAccess, Registration, Role, User
from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceMeterReading, LineKind
from ebok.common.nrb import is_valid_nrb
from ebok.company.models import Company, ReadingWindow
from ebok.customers.models import Customer, CustomerKind
from ebok.demo.seeding import (
    END_DATE,
    DemoRefused,
    SeedError,
    ensure_demo_users,
    is_working_day,
    make_nip,
    make_pesel,
    seed_utility,
)
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.payments.models import EntryKind, LedgerEntry, Payment
from ebok.payments.selectors import balance_for_customer, settlement_for_customer
from ebok.readings.models import Reading, Source, Status
from ebok.tariffs.models import Tariff
from tests import factories

pytestmark = pytest.mark.django_db

START = dt.date(2024, 11, 15)


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """One small utility for the whole class, rolled back afterwards (each test runs in a savepoint of it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed_utility(customers=30, years=2, seed=3)
        transaction.set_rollback(True)


class TestASeededUtility:
    """Shares, rules and consistency of a 30-customer, 2-year utility."""

    def test_the_utility_is_the_piekoszow_demo_company(self, seeded):
        company = Company.objects.get()
        assert company.legal_name == "Zakład Usług Komunalnych w Piekoszowie Sp. z o.o."
        assert company.is_demo
        assert stdnum_nip.is_valid(company.nip)
        assert (company.postal_code, company.city, company.office_phone) == (
            "26-065",
            "Piekoszów",
            "784 048 513",
        )
        assert len(company.bank_account_prefix) == 12 and company.bank_account_prefix.isdigit()
        windows = [(w.start_month, w.start_day, w.end_month, w.end_day) for w in ReadingWindow.objects.all()]
        assert windows == [(1, 1, 4, 30), (5, 1, 8, 31), (9, 1, 12, 31)]
        for code in ("G1", "G2"):  # each tariff group has a change of prices inside the history
            tariffs = list(Tariff.objects.filter(group__code=code).order_by("valid_from"))
            assert tariffs[0].valid_from <= START < tariffs[1].valid_from <= END_DATE
            assert all(t.vat_rate == Decimal("0.08") for t in tariffs)
            assert (
                Decimal("5") < tariffs[0].water_price < Decimal("8") < tariffs[0].sewage_price < Decimal("11")
            )
        assert (
            InvoiceLine.objects.filter(kind=LineKind.WATER)
            .values("invoice")
            .annotate(n=Count("id"))
            .filter(n=2)
            .exists()
        ), "some invoice spans a tariff change and is split into two water lines"

    def test_customers_points_and_meters_have_the_expected_shares(self, seeded):
        customers = list(Customer.objects.all())
        assert len(customers) == 30 and seeded.counts["customers"] == 30
        assert [c.code for c in customers] == [str(100001 + i) for i in range(30)]
        businesses = [c for c in customers if c.kind == CustomerKind.BUSINESS]
        assert 1 <= len(businesses) <= 6
        assert all(stdnum_nip.is_valid(c.nip) for c in businesses)
        assert all(stdnum_pesel.is_valid(c.pesel) for c in customers if c.pesel)
        assert any(c.pesel for c in customers)
        assert all(is_valid_nrb(c.bank_account) and c.postal_code == "26-065" for c in customers)
        assert sum(bool(c.email) for c in customers) >= 15
        assert all(
            c.email.endswith(("@example.com", "@example.org", "@example.net")) for c in customers if c.email
        )

        points = ServicePoint.objects.annotate(meters_n=Count("meters"))
        assert 30 < points.count() <= 33, "each customer has a point, a few have two"
        assert all(1 <= p.residents <= 6 for p in points)
        assert points.filter(meters_n=0).count() >= 1, "flat-rate points"
        assert points.filter(has_sewage=False).count() >= 1
        garden = Meter.objects.filter(role=MeterRole.ADDITIONAL)
        assert 2 <= garden.count() <= 9
        assert Meter.objects.filter(removed_on__isnull=False).count() == 1, "exactly one meter replacement"
        replaced = Meter.objects.get(removed_on__isnull=False)
        successor = Meter.objects.get(
            service_point=replaced.service_point, role=MeterRole.MAIN, removed_on=None
        )
        assert successor.installed_on == replaced.removed_on
        assert (
            Invoice.objects.filter(meter_readings__meter=replaced)
            .filter(meter_readings__meter=successor)
            .exists()
        )
        flat = points.filter(meters_n=0).first()
        assert flat.invoices.exists()

    def test_readings_come_from_every_channel_and_a_few_are_held_or_not_invoiced(self, seeded):
        sources = set(Reading.objects.values_list("source", flat=True))
        assert (
            Source.READER in sources
            and len(sources & {Source.PORTAL, Source.PHONE, Source.EMAIL, Source.OFFICE}) >= 2
        )
        held = Reading.objects.filter(status=Status.HELD)
        assert held.count() >= 2 and all(r.reason_code == "implausible" for r in held)
        assert not Reading.objects.filter(status=Status.REFUSED).exists()
        assert not InvoiceMeterReading.objects.filter(new_reading__status=Status.HELD).exists()
        # every accepted reading is billed, except the last one of a few points (work for `ebok bill`)
        billed_ids = set(
            InvoiceMeterReading.objects.exclude(new_reading=None).values_list("new_reading_id", flat=True)
        )
        unbilled = Reading.objects.filter(status=Status.ACCEPTED).exclude(id__in=billed_ids)
        assert unbilled.exists()
        for reading in unbilled:
            point = reading.meter.service_point
            last_end = point.invoices.filter(kind=InvoiceKind.INVOICE).aggregate(m=Max("period_end"))["m"]
            assert reading.date > last_end
        # the meter reader invoices on the spot
        for reading in Reading.objects.filter(source=Source.READER, id__in=billed_ids)[:50]:
            invoice = reading.billed_on.get().invoice
            assert invoice.issue_date == reading.date == invoice.period_end
            assert invoice.channel == "collector"
        assert all(
            r.date <= END_DATE and is_working_day(r.date)
            for r in Reading.objects.filter(source=Source.READER)
        )

    def test_invoices_are_numbered_gap_free_per_year_in_the_order_of_issue(self, seeded):
        by_year = defaultdict(list)
        for kind, year, sequence, number, issue_date in Invoice.objects.values_list(
            "kind", "year", "sequence", "number", "issue_date"
        ).order_by("kind", "year", "sequence"):
            assert number == f"FV/{year}/{sequence:06d}" and issue_date.year == year
            by_year[(kind, year)].append((sequence, issue_date))
        assert set(by_year) == {(InvoiceKind.INVOICE, y) for y in (2024, 2025, 2026)}
        for rows in by_year.values():
            assert [s for s, _d in rows] == list(range(1, len(rows) + 1))
            assert [d for _s, d in rows] == sorted(d for _s, d in rows), "numbers follow the issue dates"
        for point in ServicePoint.objects.all():  # consecutive invoices of a point have adjoining periods
            periods = list(point.invoices.order_by("period_start").values_list("period_start", "period_end"))
            for (_s1, e1), (s2, _e2) in zip(periods, periods[1:], strict=False):
                assert s2 == e1 + dt.timedelta(days=1)
            if periods:
                assert periods[0][0] == point.billed_until + dt.timedelta(days=1)
        assert Invoice.objects.aggregate(s=Sum("total_gross"))["s"] == seeded.total_billed

    def test_balances_are_consistent_and_some_customers_owe_or_have_credit(self, seeded):
        overdue = credit = 0
        for customer in Customer.objects.all():
            ledger = LedgerEntry.objects.filter(customer=customer).aggregate(s=Sum("amount"))["s"] or Decimal(
                "0"
            )
            settlement = settlement_for_customer(customer)
            assert ledger == settlement.open_total - settlement.credit == balance_for_customer(customer)
            overdue += settlement.overdue_total(END_DATE) > 0
            credit += settlement.credit > 0
        assert overdue >= 1, "debtors"
        assert credit >= 1, "overpayers"
        assert LedgerEntry.objects.filter(kind=EntryKind.OPENING).exists()
        payments = Payment.objects.all()
        assert (
            payments.filter(invoice__isnull=False).exists() and payments.filter(invoice__isnull=True).exists()
        )
        assert all(START < p.received_on <= END_DATE and p.customer_id for p in payments)
        assert Payment.objects.aggregate(s=Sum("amount"))["s"] == seeded.total_paid

    def test_timestamps_come_from_the_simulated_clock(self, seeded):
        """Nothing is stamped with the wall clock: every moment lies inside the simulated history."""
        low = dt.datetime(2024, 11, 14, tzinfo=dt.UTC)
        high = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
        for model, field in (
            (AuditEntry, "at"),
            (Invoice, "issued_at"),
            (Reading, "created_at"),
            (Payment, "created_at"),
            (Customer, "created_at"),
            (LedgerEntry, "created_at"),
        ):
            assert not model.objects.exclude(**{f"{field}__range": (low, high)}).exists(), model.__name__
        assert AuditEntry.objects.filter(action="invoice.issued").count() == Invoice.objects.count()


def test_the_same_seed_writes_the_same_rows(db):
    def snapshot():
        with transaction.atomic():
            seed_utility(customers=8, years=1, seed=11)
            rows = [
                list(
                    Invoice.objects.order_by("number").values_list(
                        "number", "customer__code", "issue_date", "issued_at", "total_gross", "balance_before"
                    )
                ),
                list(
                    Reading.objects.order_by("created_at", "meter__serial_number").values_list(
                        "meter__serial_number", "date", "value", "source", "status", "created_at"
                    )
                ),
                list(
                    Payment.objects.order_by("created_at", "amount").values_list(
                        "customer__code", "amount", "received_on", "title", "bank_reference", "created_at"
                    )
                ),
                list(
                    AuditEntry.objects.order_by("at", "action", "data").values_list("at", "action", "channel")
                ),
            ]
            transaction.set_rollback(True)
        return rows

    first = snapshot()
    assert not Customer.objects.exists()
    assert first == snapshot()
    assert all(first)


def test_seed_refuses_a_database_that_is_not_empty(db):
    factories.make_company()
    factories.make_customer()
    with pytest.raises(SeedError, match="not empty"):
        seed_utility(customers=5)
    with pytest.raises(CommandError, match="not empty"):
        call_command("seed", "--customers", "5", "--no-progress")
    assert Customer.objects.count() == 1 and not Invoice.objects.exists()


def test_seed_rejects_bad_arguments(db):
    with pytest.raises(SeedError, match="customers"):
        seed_utility(customers=0)
    with pytest.raises(CommandError, match="years"):
        call_command("seed", "--customers", "5", "--years", "0", "--no-progress")
    assert not Company.objects.exists()


def test_identifier_generators_give_valid_numbers():
    import random

    rng = random.Random(5)
    assert all(stdnum_nip.is_valid(make_nip(rng)) for _ in range(200))
    assert all(stdnum_pesel.is_valid(make_pesel(rng, female=i % 2 == 0)) for i in range(200))
    assert stdnum_pesel.get_birth_date(make_pesel(rng, female=True)).year >= 1940


def test_ensure_demo_users_creates_a_customer_and_one_user_per_role(db, capsys):
    call_command("seed", "--customers", "12", "--years", "1", "--no-progress")
    assert "customers      12" in capsys.readouterr().out
    logins = ensure_demo_users()
    assert len(logins) == 5
    for _label, username, password in logins:
        assert authenticate(username=username, password=password) is not None
    customer_user = User.objects.get(username="klient@demo.ebok.pl")
    access = CustomerAccess.objects.get(user=customer_user)
    assert access.customer.email and access.customer.invoices.exists()
    assert not customer_user.is_staff
    for role in Role:
        staff = User.objects.get(groups__name=role.value)
        assert staff.is_staff
        assert staff.is_superuser == (role == Role.ADMIN)
    # idempotent: a second run creates nothing and prints the same logins
    assert ensure_demo_users() == logins
    # …besides the two sign-ups it leaves waiting in the staff's activation queue
    assert User.objects.count() == 5 + 2 and CustomerAccess.objects.count() == 1
    assert Registration.objects.filter(status="pending").count() == 2


def test_demo_staff_log_in_with_the_published_code_which_no_real_utility_gives_out(client, db):
    from django_otp.oath import TOTP

    from ebok.demo.seeding import DEMO_TOTP_KEY, demo_code

    call_command("seed", "--customers", "3", "--years", "1", "--no-progress")
    ensure_demo_users()
    assert demo_code() == f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}"
    clerk = User.objects.get(groups__name=Role.CLERK.value)
    assert clerk.totpdevice_set.filter(confirmed=True).count() == 1
    from ebok.company.models import Company

    Company.objects.filter(id=1).update(is_demo=False)
    with pytest.raises(DemoRefused):
        demo_code()


def test_ensure_demo_users_does_not_touch_a_real_utility(db):
    factories.make_company()  # is_demo=False
    with pytest.raises(DemoRefused):
        ensure_demo_users()
    assert not User.objects.exists()


# --- determinism end to end -----------------------------------------------------------------------------------


def _ebok(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(EBOK_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="ebok.settings")
    return subprocess.run(
        [sys.executable, "-m", "ebok", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1200,
    )


def _ebok_background(data_dir: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(EBOK_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="ebok.settings")
    return subprocess.Popen(
        [sys.executable, "-m", "ebok", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _table_digests(database: Path) -> dict[str, str]:
    """A digest of every row of every table (ids included), but not the migration timestamps."""
    digests = {}
    with sqlite3.connect(database) as con:
        tables = [
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for table in tables:
            if table in ("django_session", "sqlite_stat1"):
                continue
            columns = "app, name" if table == "django_migrations" else "*"
            digest = hashlib.sha256()
            for row in con.execute(f'SELECT {columns} FROM "{table}" ORDER BY rowid'):  # noqa: S608
                digest.update(repr(row).encode())
            digests[table] = digest.hexdigest()
    return digests


@pytest.mark.slow
@pytest.mark.once
def test_two_runs_with_the_same_seed_are_identical(tmp_path):
    """`ebok seed --customers 1000 --years 3 --seed 7` into two empty databases, run side by side."""
    dirs = [tmp_path / "one", tmp_path / "two"]
    for data_dir in dirs:
        data_dir.mkdir()
        _ebok(data_dir, "migrate", "-v0")
    seeds = [
        _ebok_background(d, "seed", "--customers", "1000", "--years", "3", "--seed", "7", "--no-progress")
        for d in dirs
    ]
    for process in seeds:
        stdout, stderr = process.communicate(timeout=1500)
        assert process.returncode == 0, stderr
        assert "customers      1000" in stdout
    dumps = []
    for data_dir in dirs:
        _ebok(
            data_dir,
            "dumpdata",
            "--natural-foreign",
            "--exclude",
            "contenttypes",
            "--exclude",
            "auth.permission",
            "--exclude",
            "sessions",
            "--exclude",
            "admin.logentry",
            "--output",
            str(data_dir / "dump.json"),
        )
        dumps.append(
            (
                hashlib.sha256((data_dir / "dump.json").read_bytes()).hexdigest(),
                _table_digests(data_dir / "ebok.sqlite3"),
            )
        )
    (dump_one, tables_one), (dump_two, tables_two) = dumps
    differing = [t for t in tables_one if tables_one[t] != tables_two.get(t)]
    assert not differing, f"tables that differ between the runs: {differing}"
    assert dump_one == dump_two
