"""Schemathesis against a live server: no operation of /api/v1/ answers a 5xx or breaks its own schema.

The test starts a real HTTP server (pytest-django's `live_server`), fills the test database with a small
utility, and runs the Schemathesis CLI against `/api/v1/openapi.json` of that server. Every operation of the
schema is exercised in three phases: coverage (boundary values, missing and wrongly typed parameters,
over-long strings, huge numbers, unexpected methods), fuzzing with valid ("positive") and invalid
("negative") data, a bounded number of derandomised examples per operation, and stateful sequences that
feed what one response created into the next request. Staff operations run as an administrator,
`/api/v1/me/...` as a customer who owns data.

Every response must pass the checks in CHECKS: no server error, a documented status code, content type
and headers, a body valid against the documented schema, and input that breaks the schema refused with a
4xx. (`positive_data_acceptance` is left out on purpose: schema-valid input is still refused by business
rules the schema cannot state, e.g. a PESEL checksum or a removal date before the installation.)

The CLI rather than Schemathesis' pytest plugin: `schemathesis.pytest.from_fixture`, the plugin's way to
reach a server started by a fixture, does not work with pytest 9.2 (it sets `Node._nodeid`, which pytest
removed), and the CLI is the interface documented for CI anyway.

    .venv/bin/python -m pytest -p no:cacheprovider tests/api/test_schemathesis.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ebok_st .venv/bin/python -m pytest \\
        -p no:cacheprovider tests/api/test_schemathesis.py

Against any running server (a token from `ebok create-api-token USERNAME`):

    .venv/bin/schemathesis run http://127.0.0.1:8000/api/v1/openapi.json \\
        -H "Authorization: Bearer $TOKEN" --max-examples 50
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
from decimal import Decimal

import pytest

from ebok.billing.services import invoice_correct, invoice_issue
from ebok.common.actor import SYSTEM
from ebok.integrations.services import api_token_create
from ebok.payments.services import payment_record
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories

MAX_EXAMPLES = 30  # per operation and generation mode in the fuzzing phase: about a minute in all
SEED = 20250630  # with deterministic generation, the same requests on every run

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]


def _prepare_utility(cast, group) -> dict[str, list[str]]:
    """Three customers with a point, a meter, readings (accepted and refused), an invoice each, a
    correction, payments and an unmatched payment, so that lists and details return real objects rather
    than empty pages and 404s. Returns the codes generated parameters should sometimes use."""
    factories.make_tariff(group)
    customers = [cast["customer_a_record"], cast["customer_b_record"], factories.make_customer(name="Celina")]
    for number, customer in enumerate(customers):
        point = factories.make_point(customer, group, opening_date=dt.date(2025, 2, 28))
        meter = factories.make_meter(point, reading="0")
        reading_submit(actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 3, 31), source=Source.READER)
        invoice = invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))
        if number == 0:  # the reading was misread: 4 m³, not 5
            invoice_correct(
                actor=SYSTEM, invoice=invoice, reason="Misread meter", readings={meter.pk: Decimal(4)}
            )
        reading_submit(actor=SYSTEM, meter=meter, value="1", date=dt.date(2025, 4, 30), source=Source.READER)
        payment_record(
            actor=SYSTEM,
            customer=customer,
            amount=Decimal("10.00") + number,
            received_on=dt.date(2025, 4, 10),
            title=f"Faktura {invoice.number}",
        )
    payment_record(
        actor=SYSTEM, customer=None, amount=Decimal("3.21"), received_on=dt.date(2025, 4, 11), title="?"
    )
    return {"codes": [customer.code for customer in customers] + [group.code]}


def _config(staff_token: str, customer_token: str, known: dict[str, list[str]]) -> str:
    """schemathesis.toml for the run."""
    checks = "\n".join(f"[checks.{name}]\nenabled = true" for name in CHECKS)
    codes = json.dumps(known["codes"])
    return f"""
seed = {SEED}
headers = {{ Authorization = "Bearer {staff_token}" }}

[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
deterministic = true
database = "none"

[phases.examples]
enabled = true
[phases.coverage]
enabled = true
[phases.fuzzing]
enabled = true
[phases.stateful]
enabled = true

[checks]
enabled = false
{checks}

# existing customer and tariff group codes in half the generated requests, so that they reach real objects
[dictionaries.codes]
values = {codes}

[parameters]
"path.code" = {{ dictionary = "codes", probability = 0.5 }}
"query.customer_code" = {{ dictionary = "codes", probability = 0.5 }}
"body.customer_code" = {{ dictionary = "codes", probability = 0.5 }}

[[operations]]
include-path-regex = "^/api/v1/me(/|$)"
headers = {{ Authorization = "Bearer {customer_token}" }}
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_response_that_breaks_the_schema(
    live_server, cast, group, tmp_path
):
    # Django's test server writes a response's headers and body separately; without TCP_NODELAY each
    # keep-alive response waits ~40 ms for a delayed ACK, which makes this test ten times slower.
    live_server.thread.httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    known = _prepare_utility(cast, group)
    _token, staff_token = api_token_create(actor=SYSTEM, user=cast["administrator"])
    _token, customer_token = api_token_create(actor=SYSTEM, user=cast["customer_a"])
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(staff_token, customer_token, known))
    report = tmp_path / "report.json"

    run = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--workers",
            "1",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        cwd=tmp_path,  # Schemathesis and Hypothesis keep their caches in the working directory
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(report.read_text())
    operations = summary["operations"]
    assert operations["tested"] == operations["total"] > 25, operations  # every operation, none skipped
    assert not summary["warnings"]["missing_auth"], summary["warnings"]  # the tokens worked everywhere
