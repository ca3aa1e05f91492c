"""The portal benchmark's data and in-process measurements (run by bench/bench_portal.py in a child process).

    .venv/bin/python bench/portal_data.py DATABASE_URL OUT.json [--others 210] [--profile PROFILE.txt]

Migrates the database, then builds through the product's services (readings, invoices, corrections,
payments): the utility; "the 5-year customer" (two addresses, one with a garden meter, read three times a
year for five years, each reading invoiced, payments mostly on time, two correction invoices, the last
invoice open) and a 1-year twin of the same shape; `--others` customers with a year of history and a portal
account each, whose next reading (today) issues an invoice. Then, in this process with the test client: the
dashboard's query count for the 1-year and the 5-year customer, and a cProfile of the dashboard. Writes
what the HTTP part needs (logins, sessions, forms to post) to OUT.json.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import setup_django  # noqa: E402

MAIN_PASSWORD = "Bench.Portal.2026!"  # noqa: S105 - a throw-away benchmark database
WINDOW_ENDS = ((4, 30), (8, 31), (12, 31))  # the utility's reading rounds (tests/factories.make_company)


def reading_days(last: dt.date, count: int) -> list[dt.date]:
    """`count` reading-round days, three a year, the last one on `last`, oldest first."""
    days = []
    year, index = last.year, WINDOW_ENDS.index((last.month, last.day))
    for _ in range(count):
        month, day = WINDOW_ENDS[index]
        days.append(dt.date(year, month, day))
        index -= 1
        if index < 0:
            index, year = len(WINDOW_ENDS) - 1, year - 1
    return days[::-1]


def last_round_before(today: dt.date, *, at_least_days: int = 30) -> dt.date:
    """The latest reading-round day at least `at_least_days` before today (today's reading invoices it)."""
    limit = today - dt.timedelta(days=at_least_days)
    for year in (limit.year, limit.year - 1):
        for month, day in reversed(WINDOW_ENDS):
            candidate = dt.date(year, month, day)
            if candidate <= limit:
                return candidate
    raise AssertionError("unreachable")


def _at(day: dt.date, hour: int = 10):
    from ebok.common import clock

    return clock.frozen_at(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC))


class Builder:
    def __init__(self, today: dt.date):
        from tests import factories

        self.f = factories
        self.today = today
        self.company = factories.make_company()
        self.group = factories.make_tariff_group()
        factories.make_tariff(self.group, dt.date(2020, 1, 1))
        # A price change every 1 July: invoices over it get their lines split, as in real life.
        for i, year in enumerate(range(2022, today.year + 1)):
            factories.make_tariff(
                self.group,
                dt.date(year, 7, 1),
                water=str(Decimal("6.24") + Decimal("0.17") * (i + 1)),
                sewage=str(Decimal("8.82") + Decimal("0.21") * (i + 1)),
                subscription=str(Decimal("17.20") + Decimal("0.40") * (i + 1)),
            )
        self.last = last_round_before(today)

    def portal_user(self, customer, *, username: str, password: str | None = None):
        from ebok.accounts.models import CustomerAccess, User
        from ebok.common import clock

        if password:
            user = User.objects.create_user(
                username=username, email=f"{username}@example.org", password=password
            )
        else:  # logged in by session only: no password hashing (argon2 is slow on purpose)
            user = User(username=username, email=f"{username}@example.org")
            user.set_unusable_password()
            user.save()
        CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
        return user

    def history_customer(self, *, name: str, years: int, corrections: tuple[int, ...]):
        """Two addresses (the first with a garden meter), read `years` × 3 times; returns the customer."""
        from ebok.billing.services import invoice_correct, invoice_issue
        from ebok.common.actor import SYSTEM
        from ebok.metering.models import MeterRole
        from ebok.payments.services import payment_record
        from ebok.readings.models import Source
        from ebok.readings.services import readings_submit_for_point

        days = reading_days(self.last, 3 * years)
        opening = days[0] - dt.timedelta(days=122)
        with _at(opening):
            customer = self.f.make_customer(name=name, email="klient@example.org", phone="600 100 200")
            home = self.f.make_point(customer, self.group, opening_date=opening, street="ul. Kielecka 12")
            cottage = self.f.make_point(
                customer, self.group, opening_date=opening, street="ul. Leśna 4", residents=1
            )
            meters = [
                (home, self.f.make_meter(home, reading="100"), Decimal("0.35")),
                (home, self.f.make_meter(home, reading="10", role=MeterRole.ADDITIONAL), Decimal("0.05")),
                (cottage, self.f.make_meter(cottage, reading="50"), Decimal("0.08")),
            ]
        values = {meter.pk: meter.installation_reading for _, meter, _ in meters}
        previous = opening
        for n, day in enumerate(days):
            invoices = []
            with _at(day):
                for point in (home, cottage):
                    readings = {}
                    for p, meter, daily in meters:
                        if p == point:
                            values[meter.pk] += (daily * (day - previous).days).quantize(Decimal("0.001"))
                            readings[meter.pk] = str(values[meter.pk])
                    readings_submit_for_point(
                        actor=SYSTEM,
                        service_point=point,
                        date=day,
                        values=readings,
                        source=Source.PORTAL if n % 2 else Source.READER,
                    )
                    invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=day)
                    if n in corrections and point == home:
                        main = meters[0][1]
                        values[main.pk] -= 2
                        invoice_correct(
                            actor=SYSTEM,
                            invoice=invoice,
                            reason="Błędnie odczytany stan wodomierza",
                            readings={main.pk: values[main.pk]},
                        )
                    invoices.append(invoice)
            previous = day
            if day == days[-1]:
                continue  # the latest invoices stay open
            paid_on = day + dt.timedelta(days=40 if n % 5 == 3 else 12)  # now and then late
            with _at(paid_on):
                for invoice in invoices:
                    payment_record(
                        actor=SYSTEM,
                        customer=customer,
                        amount=invoice.total_gross,
                        received_on=paid_on,
                        title=f"Faktura {invoice.number}",
                    )
        return customer

    def one_year_customers(self, count: int) -> list[dict]:
        """`count` customers with a year of history (a meter read three times, invoiced, paid) and a portal
        account each; returns what posting today's reading needs."""
        from ebok.billing.services import invoice_issue
        from ebok.common.actor import SYSTEM
        from ebok.payments.services import payment_record
        from ebok.readings.models import Source
        from ebok.readings.services import reading_submit

        days = reading_days(self.last, 3)
        opening = days[0] - dt.timedelta(days=122)
        people = []
        with _at(opening):
            for i in range(count):
                customer = self.f.make_customer(name=f"Odbiorca Testowy {i}", street=f"ul. Polna {i + 1}")
                point = self.f.make_point(
                    customer, self.group, opening_date=opening, street=f"ul. Polna {i + 1}"
                )
                meter = self.f.make_meter(point, reading=str(100 + i % 50))
                daily = Decimal("0.2") + Decimal(i % 7) / 20
                user = self.portal_user(customer, username=f"odbiorca{i}")
                people.append(
                    {"customer": customer, "point": point, "meter": meter, "daily": daily, "user": user}
                )
        previous = opening
        for day in days:
            with _at(day):
                for person in people:
                    meter = person["meter"]
                    value = meter.installation_reading + person["daily"] * (day - opening).days
                    reading_submit(
                        actor=SYSTEM,
                        meter=meter,
                        value=value.quantize(Decimal("0.001")),
                        date=day,
                        source=Source.READER,
                    )
                    person["invoice"] = invoice_issue(actor=SYSTEM, service_point=person["point"], up_to=day)
            if day != days[-1]:
                with _at(day + dt.timedelta(days=10)):
                    for person in people:
                        payment_record(
                            actor=SYSTEM,
                            customer=person["customer"],
                            amount=person["invoice"].total_gross,
                            received_on=day + dt.timedelta(days=10),
                            title=f"Faktura {person['invoice'].number}",
                        )
            previous = day
        out = []
        for person in people:
            meter = person["meter"]
            today_value = meter.installation_reading + person["daily"] * (self.today - opening).days
            assert previous < self.today
            out.append(
                {
                    "user_id": person["user"].pk,
                    "point_id": person["point"].pk,
                    "meter_id": meter.pk,
                    "value": f"{today_value.quantize(Decimal('0.001'))}".replace(".", ","),
                }
            )
        return out


def session_cookie(user) -> str:
    """A real logged-in session for `user` (stored in the database, as after the login form)."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def dashboard_queries(user) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.get("/panel/", secure=True)  # warm: first-request work (translations, templates) is not counted
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/panel/", secure=True)
    assert response.status_code == 200, response.status_code
    return len(captured)


def _cpu_ms(call, repeat: int) -> float:
    for _ in range(3):
        call()
    started = time.process_time()
    for _ in range(repeat):
        call()
    return round((time.process_time() - started) * 1000 / repeat, 2)


def dashboard_breakdown(user, customer, repeat: int) -> dict[str, float]:
    """CPU ms per call, in this process, of the whole dashboard request (test client: every middleware) and of
    its parts, so that the lead can see where the time goes."""
    from django.contrib.messages.storage.session import SessionStorage
    from django.template.loader import get_template
    from django.test import Client, RequestFactory
    from django.utils import translation

    from ebok.accounts.selectors import customers_for_user
    from ebok.common import clock
    from ebok.company.selectors import company_or_none
    from ebok.customers.models import ChangeRequestStatus
    from ebok.payments.selectors import payments_for_customer, settlement_for_customer
    from ebok.readings.selectors import point_summaries

    logged_in = Client(HTTP_HOST="127.0.0.1")
    logged_in.force_login(user)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    settlement = settlement_for_customer(customer)
    context = {
        "nav": "dashboard",
        "settlement": settlement,
        "open_items": settlement.open_items,
        "overdue_total": settlement.overdue_total(clock.today()),
        "balance": settlement.open_total - settlement.credit,
        "today": clock.today(),
        "points": point_summaries(customer),
        "payments": list(payments_for_customer(customer).only("received_on", "amount", "title")[:5]),
        "pending_changes": False,
        "company": company_or_none(),
        "customer": customer,
        "customers": [customer],
    }
    request = RequestFactory(HTTP_HOST="127.0.0.1").get("/panel/", secure=True)
    request.user, request.session = user, {}
    request._messages = SessionStorage(request)
    template = get_template("portal/customer/dashboard.html")
    with translation.override("pl"):
        return {
            "dashboard request": _cpu_ms(lambda: logged_in.get("/panel/", secure=True), repeat),
            "help page, logged in": _cpu_ms(lambda: logged_in.get("/help/", secure=True), repeat),
            "help page, anonymous": _cpu_ms(lambda: anonymous.get("/help/", secure=True), repeat),
            "customers_for_user": _cpu_ms(lambda: list(customers_for_user(user)), repeat),
            "settlement_for_customer": _cpu_ms(lambda: settlement_for_customer(customer), repeat),
            "point_summaries": _cpu_ms(lambda: point_summaries(customer), repeat),
            "recent payments": _cpu_ms(
                lambda: list(payments_for_customer(customer).only("received_on", "amount", "title")[:5]),
                repeat,
            ),
            "pending change request": _cpu_ms(
                lambda: customer.change_requests.filter(status=ChangeRequestStatus.PENDING).exists(), repeat
            ),
            "company": _cpu_ms(company_or_none, repeat),
            "template render": _cpu_ms(lambda: template.render(context, request), repeat),
        }


def dashboard_profile(user, repeat: int, path: Path) -> None:
    """A cProfile (by CPU time) of `repeat` dashboards through the test client, written to `path`."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    for _ in range(5):
        client.get("/panel/", secure=True)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(repeat):
        client.get("/panel/", secure=True)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(45)
    out.write("\n\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(30)
    path.write_text(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("out")
    parser.add_argument("--others", type=int, default=210)
    parser.add_argument("--profile", default="")
    parser.add_argument("--profile-repeat", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=16, help="logins of the 5-year customer")
    parser.add_argument("--years", type=int, default=5, help="history of the dashboard's customer")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    stages: dict[str, float] = {}

    def stage(name: str) -> None:
        stages[name] = round(time.perf_counter() - started - sum(stages.values()), 1)

    setup_django(args.database_url, data_dir=os.environ.get("EBOK_DATA_DIR"))
    from django.db import connection

    from ebok.common import clock

    stage("migrate")
    today = clock.today()
    builder = Builder(today)
    main_customer = builder.history_customer(
        name="Halina Pięta-Wróblewska", years=args.years, corrections=(1, 4)
    )
    main_user = builder.portal_user(main_customer, username="halina", password=MAIN_PASSWORD)
    twin = builder.history_customer(name="Roman Jeziorski", years=1, corrections=(1,))
    twin_user = builder.portal_user(twin, username="roman")
    stage("the customers with history")
    submitters = builder.one_year_customers(args.others)
    built_s = time.perf_counter() - started

    from ebok.accounts.models import User
    from ebok.billing.models import Invoice
    from ebok.customers.models import Customer
    from ebok.payments.models import Payment
    from ebok.readings.models import Reading

    stage("other customers")
    users = {u.pk: u for u in User.objects.filter(pk__in=[s["user_id"] for s in submitters])}
    for submitter in submitters:
        submitter["session"] = session_cookie(users[submitter["user_id"]])
    stage("sessions")
    result = {
        "today": today.isoformat(),
        "built_seconds": round(built_s, 1),
        "counts": {
            "customers": Customer.objects.count(),
            "invoices": Invoice.objects.count(),
            "readings": Reading.objects.count(),
            "payments": Payment.objects.count(),
        },
        "main": {
            "username": main_user.username,
            "password": MAIN_PASSWORD,
            "customer_id": main_customer.pk,
            "user_id": main_user.pk,
            "invoices": main_customer.invoices.count(),
            "corrections": main_customer.invoices.filter(corrects__isnull=False).count(),
            "payments": main_customer.payments.count(),
            # Several logins, as several people (or browsers) would have: the session row is written on
            # every request (SESSION_SAVE_EVERY_REQUEST), and one row for every request is not realistic.
            "sessions": [session_cookie(main_user) for _ in range(args.sessions)],
        },
        "years": args.years,
        "queries": {
            "1 year": dashboard_queries(twin_user),
            f"{args.years} years": dashboard_queries(main_user),
        },
        "submitters": submitters,
    }
    stage("query counts")
    result["in_process_cpu_ms"] = dashboard_breakdown(main_user, main_customer, args.profile_repeat)
    if args.profile:
        dashboard_profile(main_user, args.profile_repeat, Path(args.profile))
    stage("in-process timing")
    result["stages_s"] = stages
    connection.close()
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
