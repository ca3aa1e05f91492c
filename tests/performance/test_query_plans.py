"""Every query of the customer's pages and of the billing run can be answered through an index (PostgreSQL).

With 1,000,000 customers a sequential scan of a history table is a page that takes seconds and a billing
run whose cost per invoice grows with the city. The planner prefers a sequential scan on a test database's
few rows, so each query is explained with `enable_seqscan = off`: a plan that still scans a big table
sequentially has no index it could use. (bench/bench_scale.py measures the same pages and the run at
10,000 and 1,000,000 customers.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ebok.billing.run import invoices_issue_batch
from ebok.billing.selectors import points_to_bill
from ebok.common import clock
from ebok.common.actor import CLI, SYSTEM
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories
from tests.portal.test_query_counts import PAGES, customer_with_history

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Tables that grow with the number of customers and their history (small reference tables — the company,
# tariffs, reading windows — are read whole, and that is fine).
BIG_TABLES = {
    "accounts_customeraccess",
    "accounts_user",
    "audit_auditentry",
    "billing_invoice",
    "billing_invoiceline",
    "billing_invoicemeterreading",
    "customers_changerequest",
    "customers_customer",
    "django_session",
    "metering_meter",
    "metering_servicepoint",
    "notifications_consentevent",
    "notifications_invoicedelivery",
    "notifications_message",
    "payments_ledgerentry",
    "payments_payment",
    "readings_reading",
}


def _sequential_scans(plan: dict) -> list[str]:
    """Big tables the plan reads whole: a sequential scan, or an index walked end to end (no index condition,
    as when the planner, barred from a sequential scan, walks the primary key's index instead)."""
    found = []
    full_index_walk = plan.get("Node Type") in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan
    if (plan.get("Node Type") == "Seq Scan" or full_index_walk) and plan.get("Relation Name") in BIG_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += _sequential_scans(child)
    return found


def _scans_of(captured: CaptureQueriesContext) -> dict[str, list[str]]:
    """SELECT → the big tables its plan reads sequentially (only those with any)."""
    scans = {}
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                tables = _sequential_scans(cursor.fetchone()[0][0]["Plan"])
                if tables:
                    scans[sql[:300]] = tables
        finally:
            cursor.execute("RESET enable_seqscan")
    return scans


def test_the_customers_pages_read_through_indexes(client, group, tariff, today):
    user, point, invoice = customer_with_history(group, today, invoices=6)
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        for name in PAGES:
            args = {"point": [point.pk], "submit_reading": [point.pk], "invoice": [invoice.pk]}.get(name, [])
            assert client.get(reverse(f"portal:{name}", args=args)).status_code == 200

    assert len(captured) > 20
    assert _scans_of(captured) == {}


def test_the_billing_run_reads_through_indexes(group, tariff):
    read_on = dt.date(2025, 3, 31)
    with clock.frozen_at(dt.datetime(2025, 4, 1, 12, tzinfo=dt.UTC)):
        for i in range(5):
            point = factories.make_point(factories.make_customer(), group, street=f"ul. Polna {i}")
            meter = factories.make_meter(point)
            reading_submit(actor=SYSTEM, meter=meter, value="10", date=read_on, source=Source.READER)
    with CaptureQueriesContext(connection) as captured:
        candidates = list(points_to_bill(read_on).filter(pk__gt=0).values_list("pk", "bill_to")[:500])
        result = invoices_issue_batch(actor=CLI, candidates=candidates)

    assert len(result.issued) == 5
    assert _scans_of(captured) == {}


def test_a_query_no_index_can_answer_is_caught(company):
    from ebok.customers.models import Customer

    with CaptureQueriesContext(connection) as captured:
        list(Customer.objects.filter(name__icontains="kowal"))

    assert list(_scans_of(captured).values()) == [["customers_customer"]]
