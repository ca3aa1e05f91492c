"""A web worker killed (SIGKILL) in the middle of a reading submission leaves nothing behind, and the retry with
the same idempotency key completes it: one reading, one invoice, invoice numbers still gap-free.

A real gunicorn server against a PostgreSQL database created for this module (migrated with `ebok migrate`,
dropped at the end). The server is started with EBOK_FAULT_PAUSE (ebok/common/faults.py), which stops the
request after the reading and the invoice are written but before the transaction commits; the test waits
until the worker's database session is "idle in transaction" there, kills the worker, checks the database,
restarts the server without the pause and sends the same request again. Both ways of submitting are covered:
the portal's confirm step (submission_confirm) and the API with an Idempotency-Key header.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import threading
import time
import uuid

import pytest
import requests
from django.db import connection

from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice, InvoiceCounter
from ebok.integrations.models import IdempotencyRecord
from ebok.notifications.models import InvoiceDelivery
from ebok.payments.models import LedgerEntry
from ebok.readings.models import Reading
from tests.ops.scratch import database_url, ebok, ebok_env, ebok_python, postgres_connect, scratch_postgres
from tests.reliability.server import Server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the killed transaction is checked on PostgreSQL (run with DATABASE_URL=postgres://...)",
    ),
]

PASSWORD = "correct horse battery"  # noqa: S105 - a test account's

# The utility, its tariff, and a neighbour invoiced twice already, so invoice numbers don't start at 1.
BASE = """
import datetime as dt
from ebok.common import clock
from tests import factories
factories.make_company()
group = factories.make_tariff_group()
factories.make_tariff(group)
factories.make_history(factories.make_customer(name="Sąsiad"), group, invoices=2,
                       today=clock.today() - dt.timedelta(days=40))
print("@@1")
"""

# A customer with a portal login and an API token; one address with one meter, opened 60 days ago.
CUSTOMER = """
import datetime as dt
import json
from ebok.accounts.models import CustomerAccess, User
from ebok.common import clock
from ebok.common.actor import CLI
from ebok.integrations.services import api_token_create
from ebok.tariffs.models import TariffGroup
from tests import factories

email = "{email}"
customer = factories.make_customer(code="{code}", name="Anna Nowak", email=email)
point = factories.make_point(customer, TariffGroup.objects.get(), opening_date=clock.today() - dt.timedelta(days=60))
meter = factories.make_meter(point, reading="100", serial="KW-{code}")
user = User.objects.create_user(username=email, email=email, password="{password}")
CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
_, token = api_token_create(actor=CLI, user=user, name="own script")
ids = {{"customer": customer.pk, "point": point.pk, "meter": meter.pk, "token": token}}
print("@@" + json.dumps({{**ids, "today": clock.today().isoformat()}}))
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """(name, environment) of a scratch database with the base data; dropped after the module."""
    with scratch_postgres("ebok_kill") as name:
        env = ebok_env(data_dir=tmp_path_factory.mktemp("kill"), database_url=database_url(name))
        ebok(env, "migrate", "-v0")
        ebok_python(env, BASE)
        yield name, env


def _count(db, model, **where) -> int:
    table = model._meta.db_table
    clauses = " AND ".join(f'"{column}" = %s' for column in where) or "TRUE"
    return db.execute(f'SELECT count(*) FROM "{table}" WHERE {clauses}', list(where.values())).fetchone()[0]  # noqa: S608


def _state(db, ids: dict) -> dict:
    """What a submission for this customer would have written."""
    counters = InvoiceCounter._meta.db_table
    return {
        "readings": _count(db, Reading, meter_id=ids["meter"]),
        "invoices": _count(db, Invoice, service_point_id=ids["point"]),
        "ledger": _count(db, LedgerEntry, customer_id=ids["customer"]),
        "deliveries": _count(db, InvoiceDelivery),
        "idempotency records": _count(db, IdempotencyRecord),
        "audit": _count(db, AuditEntry, customer_id=ids["customer"]),
        "counters": db.execute(
            f'SELECT series, year, last_number FROM "{counters}" ORDER BY 1, 2'
        ).fetchall(),  # noqa: S608
    }


def _assert_numbers_gap_free(db) -> None:
    invoices, counters = Invoice._meta.db_table, InvoiceCounter._meta.db_table
    for series, year, last in db.execute(f'SELECT series, year, last_number FROM "{counters}"').fetchall():  # noqa: S608
        sequences = [
            row[0]
            for row in db.execute(
                f'SELECT sequence FROM "{invoices}" WHERE kind = %s AND year = %s ORDER BY sequence',  # noqa: S608
                [series, year],
            )
        ]
        assert sequences == list(range(1, last + 1)), (series, year)


def _transactions_open(db, name: str) -> list[int]:
    return [
        row[0]
        for row in db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = 'idle in transaction'", [name]
        )
    ]


def _wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# --- the two ways of submitting --------------------------------------------------------------------------------


def _csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


class Portal:
    """A customer in a browser: logs in, fills the form, previews, confirms (the key comes from the preview)."""

    pause = "submission"
    delivers = 1  # submission_confirm hands the new invoice to delivery on commit

    def __init__(self, ids: dict, email: str):
        self.ids, self.email = ids, email
        self.browser = requests.Session()
        self.form = {}

    def prepare(self, url: str) -> None:
        login = self.browser.get(f"{url}/login/", timeout=30)
        answer = self.browser.post(
            f"{url}/login/",
            data={"csrfmiddlewaretoken": _csrf(login.text), "username": self.email, "password": PASSWORD},
            timeout=30,
        )
        assert answer.url.rstrip("/").endswith("/panel"), answer.url  # logged in
        reading_url = f"{url}/points/{self.ids['point']}/reading/"
        form = self.browser.get(reading_url, timeout=30)
        assert form.status_code == 200
        value = {f"meter_{self.ids['meter']}": "112,5"}
        preview = self.browser.post(
            reading_url,
            data={"csrfmiddlewaretoken": _csrf(form.text), "step": "preview", **value},
            timeout=30,
        )
        assert preview.status_code == 200, preview.text
        key = re.search(r'name="key" value="([0-9a-f]{32})"', preview.text)[1]
        self.form = {"csrfmiddlewaretoken": _csrf(preview.text), "step": "confirm", "key": key, **value}

    def send(self, url: str) -> requests.Response:
        return self.browser.post(f"{url}/points/{self.ids['point']}/reading/", data=self.form, timeout=120)

    def check(self, first: requests.Response, again: requests.Response) -> None:
        assert first.status_code == again.status_code == 200
        assert first.url == again.url and f"/readings/submitted/{self.form['key']}/" in first.url
        assert "FV/" in first.text  # the result page shows the invoice


class Api:
    """The customer's own script: POST /api/v1/me/readings with a bearer token and an Idempotency-Key."""

    pause = "api_reading"
    delivers = 0  # the API leaves delivery to the scheduled run (invoices_deliver_pending)

    def __init__(self, ids: dict, email: str):
        self.ids = ids
        self.headers = {"Authorization": f"Bearer {ids['token']}", "Idempotency-Key": str(uuid.uuid4())}
        self.body = {"meter_id": ids["meter"], "date": ids["today"], "value": "112.5"}

    def prepare(self, url: str) -> None:
        pass

    def send(self, url: str) -> requests.Response:
        return requests.post(f"{url}/api/v1/me/readings", json=self.body, headers=self.headers, timeout=120)

    def check(self, first: requests.Response, again: requests.Response) -> None:
        assert first.status_code == again.status_code == 201, first.text
        assert first.json() == again.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert first.json()["invoice"]["number"].startswith("FV/")


@pytest.mark.parametrize("client_class", [Portal, Api], ids=["portal", "api"])
def test_a_worker_killed_mid_submission_leaves_nothing_and_the_retry_completes_it(
    database, tmp_path, client_class
):
    name, base_env = database
    email = f"anna-{uuid.uuid4().hex[:8]}@example.org"
    code = str(700_000 + secrets.randbelow(100_000))  # the factories' own codes start again in each process
    ids = ebok_python(base_env, CUSTOMER.format(code=code, email=email, password=PASSWORD))
    client = client_class(ids, email)
    marker = tmp_path / "paused"
    log = tmp_path / "gunicorn.log"
    paused_env = {
        **base_env,
        "EBOK_FAULT_PAUSE": client.pause,
        "EBOK_FAULT_PAUSE_SECONDS": "120",
        "EBOK_FAULT_PAUSE_MARKER": str(marker),
    }
    with postgres_connect(name) as db:
        before = _state(db, ids)
        server = Server(paused_env, log)
        try:
            client.prepare(server.url)
            outcome: dict = {}

            def submit() -> None:
                try:
                    outcome["response"] = client.send(server.url)
                except requests.RequestException as error:
                    outcome["error"] = error

            sender = threading.Thread(target=submit)
            sender.start()
            _wait_for(marker.exists, "the request to reach the pause")
            worker = int(_wait_for(lambda: marker.read_text(), "the worker's pid"))
            assert server.is_worker(worker)
            in_transaction = _wait_for(lambda: _transactions_open(db, name), "the open transaction")
            assert len(in_transaction) == 1
            assert _state(db, ids) == before  # written, but not visible: not committed

            os.kill(worker, signal.SIGKILL)
            sender.join(timeout=30)

            assert "error" in outcome and "response" not in outcome  # the connection died with the worker
            _wait_for(lambda: not _transactions_open(db, name), "PostgreSQL to roll the transaction back", 30)
            assert _state(db, ids) == before  # nothing of it: no reading, no invoice, no number used
        finally:
            server.stop()

        server = Server(base_env, log)  # restarted, without the pause
        try:
            first = client.send(server.url)
            again = client.send(server.url)  # and once more, as an impatient user would
        finally:
            server.stop()
        client.check(first, again)
        after = _state(db, ids)
        assert after["readings"] == 1 and after["invoices"] == 1
        assert after["ledger"] == before["ledger"] + 1
        assert after["deliveries"] == before["deliveries"] + client.delivers
        [(series, year, last)] = [c for c in after["counters"] if c not in before["counters"]]
        assert last == {(s, y): n for s, y, n in before["counters"]}.get((series, year), 0) + 1
        _assert_numbers_gap_free(db)
    assert "Traceback" not in log.read_text()
