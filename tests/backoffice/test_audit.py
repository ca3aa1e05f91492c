"""The audit trail at /staff/audit/: read-only, newest first, filterable by customer, object, action, user,
channel and local dates; each entry says when, who, through which channel, from where, what and to which
object."""

from __future__ import annotations

import datetime as dt

import pytest

from ebok.audit.models import AuditEntry
from ebok.audit.selectors import audit_search
from ebok.audit.services import audit_log
from ebok.backoffice.views.audit import audit_url, readable
from ebok.common import clock
from ebok.common.actor import SYSTEM, Actor

WARSAW = dt.timezone(dt.timedelta(hours=2))  # summer time: the days below are in June


@pytest.fixture
def staff(staff_en):
    return staff_en


def log(at: dt.datetime, actor: Actor, action: str, obj, customer=None, **data) -> AuditEntry:
    with clock.frozen_at(at):
        return audit_log(
            actor=actor, action=action, obj=obj, customer_id=customer.pk if customer else None, data=data
        )


@pytest.fixture
def trail(cast):
    """Entries of two customers, by two staff members and the system, over three local days."""
    a, b = cast["customer_a_record"], cast["customer_b_record"]
    clerk = Actor(user=cast["office_clerk"], channel="backoffice", ip="10.0.0.7")
    admin = Actor(user=cast["administrator"], channel="api", ip="10.0.0.9")
    return {
        # 23:30 UTC on 27 June is 01:30 on 28 June in Warsaw.
        "payment_a": log(
            dt.datetime(2025, 6, 27, 23, 30, tzinfo=dt.UTC), clerk, "payment.recorded", a, a, amount="100.00"
        ),
        "change_a": log(
            dt.datetime(2025, 6, 28, 9, 0, tzinfo=WARSAW),
            clerk,
            "customer.changed",
            a,
            a,
            phone=["", "600100200"],
        ),
        "payment_b": log(
            dt.datetime(2025, 6, 29, 10, 0, tzinfo=WARSAW), admin, "payment.assigned", b, b, amount="5.00"
        ),
        "system_b": log(
            dt.datetime(2025, 6, 30, 8, 0, tzinfo=WARSAW), SYSTEM, "invoice.issued", b, b, number="FV/1"
        ),
    }


def ours(entries) -> list[AuditEntry]:
    """Without the entries of creating the cast's customers and of logging the test client in (made at the
    real time of the test run)."""
    return [entry for entry in entries if entry.action != "customer.created" and entry.action != "auth.login"]


def found(**filters) -> list[AuditEntry]:
    return ours(audit_search(**filters))


# --- the selector --------------------------------------------------------------------------------------


def test_everything_newest_first(trail):
    assert found() == [trail["system_b"], trail["payment_b"], trail["change_a"], trail["payment_a"]]


def test_by_customer_code(trail, cast):
    assert found(customer_code=cast["customer_a_record"].code) == [trail["change_a"], trail["payment_a"]]
    assert found(customer_code="999999") == []


def test_by_object_type_and_id(trail, cast):
    b = cast["customer_b_record"]
    assert found(object_type="customers.customer", object_id=str(b.pk)) == [
        trail["system_b"],
        trail["payment_b"],
    ]
    assert len(found(object_type="customers.customer")) == 4


def test_by_action_prefix(trail):
    assert found(action="payment.") == [trail["payment_b"], trail["payment_a"]]
    assert found(action="customer.changed") == [trail["change_a"]]


def test_by_username(trail):
    assert found(username="office_clerk") == [trail["change_a"], trail["payment_a"]]
    assert found(username="ADMINISTRATOR") == [trail["payment_b"]]


def test_by_channel(trail):
    assert found(channel="api") == [trail["payment_b"]]
    assert found(channel="system") == [trail["system_b"]]


def test_by_local_days_both_included(trail):
    assert found(date_from=dt.date(2025, 6, 28), date_to=dt.date(2025, 6, 28)) == [
        trail["change_a"],
        trail["payment_a"],  # 01:30 local time, though 27 June in UTC
    ]
    assert found(date_from=dt.date(2025, 6, 29)) == [trail["system_b"], trail["payment_b"]]
    assert found(date_to=dt.date(2025, 6, 27)) == []


def test_filters_combine(trail, cast):
    assert found(customer_code=cast["customer_b_record"].code, action="payment.", channel="api") == [
        trail["payment_b"]
    ]


def test_each_entry_carries_the_customer_code(trail, cast):
    [entry] = found(action="invoice.")
    assert entry.customer_code == cast["customer_b_record"].code


# --- the page ------------------------------------------------------------------------------------------


def test_the_page_shows_when_who_channel_ip_action_object_and_data(staff, trail, cast):
    page = staff("auditor").get("/staff/audit/", {"action": "customer.changed"}).content.decode()

    a = cast["customer_a_record"]
    assert "28.06.2025 09:00:00" in page  # local time
    assert "office_clerk" in page
    assert "back-office" in page
    assert "10.0.0.7" in page
    assert "customer.changed" in page
    assert f'href="/staff/audit/?object=customers.customer:{a.pk}"' in page
    assert f'href="/staff/customers/{a.code}/"' in page
    assert "<dt>phone</dt><dd>– → 600100200</dd>" in page
    assert "payment.recorded" not in page


def test_the_page_shows_local_time_of_an_entry_made_just_after_midnight(staff, trail):
    page = staff("auditor").get("/staff/audit/", {"action": "payment.recorded"}).content.decode()

    assert "28.06.2025 01:30:00" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"customer": "CUSTOMER_A"}, ["change_a", "payment_a"]),
        ({"object": "customers.customer:B"}, ["system_b", "payment_b"]),
        ({"action": "payment."}, ["payment_b", "payment_a"]),
        ({"user": "office_clerk"}, ["change_a", "payment_a"]),
        ({"channel": "api"}, ["payment_b"]),
        ({"date_from": "2025-06-29", "date_to": "2025-06-30"}, ["system_b", "payment_b"]),
        ({"date_from": "28.06.2025", "date_to": "28.06.2025"}, ["change_a", "payment_a"]),
    ],
)
def test_each_filter_of_the_page(staff, trail, cast, params, expected):
    a, b = cast["customer_a_record"], cast["customer_b_record"]
    params = {
        key: value.replace("CUSTOMER_A", a.code).replace(":B", f":{b.pk}") for key, value in params.items()
    }

    response = staff("office_clerk").get("/staff/audit/", params)

    assert response.status_code == 200
    assert ours(response.context["entries"]) == [trail[name] for name in expected]


def test_a_wrong_object_is_a_form_error(staff, trail):
    response = staff("auditor").get("/staff/audit/", {"object": "invoice12"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Write the object as type:number, e.g. billing.invoice:12." in page
    assert 'aria-invalid="true"' in page
    assert response.context["entries"] == []


def test_dates_in_the_wrong_order_are_a_form_error(staff, trail):
    response = staff("auditor").get("/staff/audit/", {"date_from": "2025-06-30", "date_to": "2025-06-01"})

    assert "This date is before the first one." in response.content.decode()


def test_the_pages_keep_the_filters(staff, cast):
    for n in range(60):
        log(
            dt.datetime(2025, 6, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n),
            SYSTEM,
            "test.bulk",
            cast["customer_a_record"],
        )

    client = staff("auditor")
    first = client.get("/staff/audit/", {"action": "test."})
    second = client.get("/staff/audit/", {"action": "test.", "page": "2"})

    assert len(first.context["entries"]) == 50
    assert "?action=test.&amp;page=2" in first.content.decode()
    assert len(second.context["entries"]) == 10


def test_audit_url_links_to_the_history_of_one_object(trail, cast):
    a = cast["customer_a_record"]

    assert audit_url(a) == f"/staff/audit/?object=customers.customer%3A{a.pk}"


def test_data_read_as_key_value_rows():
    assert readable({"changes": {"phone": "600"}, "note": "", "ids": [1, 2, 3]}) == [
        ("changes", "phone: 600"),
        ("note", "–"),
        ("ids", "1, 2, 3"),
    ]
    assert readable({"city": ["Kielce", "Piekoszów"]}, changes=True) == [("city", "Kielce → Piekoszów")]
    assert readable({"period": ["2025-01-01", "2025-04-30"]}) == [("period", "2025-01-01, 2025-04-30")]


# --- who may see it ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("office_clerk", 200),
        ("administrator", 200),
        ("auditor", 200),
        ("meter_reader", 403),
        ("customer_a", 403),
    ],
)
def test_who_may_see_the_audit_trail(staff, trail, role, status):
    assert staff(role).get("/staff/audit/").status_code == status


def test_nothing_can_be_posted_to_the_audit_trail(staff, trail):
    assert staff("auditor").post("/staff/audit/", {"action": "x"}).status_code == 405
    assert staff("administrator").post("/staff/audit/", {"action": "x"}).status_code == 405


def test_anonymous_people_are_sent_to_the_staff_login(client, trail):
    response = client.get("/staff/audit/?action=payment.")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")
