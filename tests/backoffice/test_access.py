"""Who may open each staff page: one table of the roles allowed per URL, checked against every role of the fixed
cast. The list of URLs comes from the URL configuration, so a new page can't escape this test: add it to WHO.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from ebok.backoffice.urls import urlpatterns

CLERK, ADMIN, AUDITOR, READER = "office_clerk", "administrator", "auditor", "meter_reader"
STAFF = {CLERK, ADMIN, AUDITOR, READER}
VIEWERS = {CLERK, ADMIN, AUDITOR}  # see everything in the office, the auditor changes nothing
WORKERS = {CLERK, ADMIN}

PUBLIC = {"login", "login_code", "login_setup"}  # the steps of the login (tests/accounts)
# The roles that may use each page; everyone else (and a customer's portal account) gets 403.
WHO: dict[str, set[str]] = {
    "home": STAFF,
    "activations": VIEWERS,
    "activation_decide": WORKERS,
    "customers": VIEWERS,
    "customer": VIEWERS,
    "customer_history": VIEWERS,
    "customer_consents_record": WORKERS,
    "change_requests": VIEWERS,
    "change_request_decide": WORKERS,
    "reading_new": {CLERK, ADMIN, READER},
    "reading_result": STAFF,
    "review": STAFF,
    "review_decide": WORKERS,
    "reading_photo": STAFF,
    "invoice": STAFF,
    "invoice_pdf": STAFF,
    "invoice_correct": WORKERS,
    "point_invoice": {CLERK, ADMIN, READER},
    "payments": VIEWERS,
    "payment_new": WORKERS,
    "statement_import": WORKERS,
    "unmatched": VIEWERS,
    "payment_assign": WORKERS,
    "debtors": VIEWERS,
    "meter_verification": STAFF,
    "meter_replace": WORKERS,
    "tariffs": VIEWERS,
    "tariff_new": {ADMIN},
    "reports": VIEWERS,
    "report": VIEWERS,
    "audit": VIEWERS,
    "routes": VIEWERS,
    "route": VIEWERS,
    "route_assign": WORKERS,
    "messages": VIEWERS,
    "message": VIEWERS,
    "message_resend": WORKERS,
    "announcements": VIEWERS,
    "announcement_new": WORKERS,
    "announcement": VIEWERS,
    "announcement_send": WORKERS,
}
# Pages that only take a POST (a GET answers 405 before anybody's rights are looked at).
POST_ONLY = {
    "activation_decide",
    "change_request_decide",
    "review_decide",
    "invoice_correct",
    "point_invoice",
    "route_assign",
    "message_resend",
    "announcement_send",
}
# Objects that don't exist: the rights are checked before the object is looked up (403, not 404), and an
# allowed role gets 404, so nothing is changed by these requests.
ARGUMENTS = {
    "registration_id": 999999,
    "code": "999999",
    "section": "ledger",
    "request_id": 999999,
    "key": "0" * 32,
    "reading_id": 999999,
    "invoice_id": 999999,
    "point_id": 999999,
    "payment_id": 999999,
    "meter_id": 999999,
    "name": "readings",
    "message_id": 999999,
    "announcement_id": 999999,
}
PATTERNS = {p.name: p for p in urlpatterns if isinstance(p, URLPattern)}


def url_for(name: str) -> str:
    converters = PATTERNS[name].pattern.converters
    return reverse(f"backoffice:{name}", kwargs={key: ARGUMENTS[key] for key in converters})


def request(client, name: str):
    url = url_for(name)
    return client.post(url) if name in POST_ONLY else client.get(url)


def test_every_staff_url_is_in_the_table():
    assert set(PATTERNS) == PUBLIC | set(WHO)
    assert set(WHO) >= POST_ONLY


@pytest.mark.parametrize("name", sorted(WHO))
def test_each_role_gets_exactly_the_staff_pages_of_the_table(client, cast, name):
    for role in [*sorted(STAFF), "customer_a"]:  # customer A: a portal account, not staff
        client.force_login(cast[role])
        response = request(client, name)
        client.logout()
        if role not in WHO[name]:
            assert response.status_code == 403, (name, role, response.status_code)
        elif name in POST_ONLY or PATTERNS[name].pattern.converters:
            assert response.status_code not in (403, 405), (name, role, response.status_code)
            assert not response.get("Location", "").startswith("/staff/login/"), (name, role)
        else:
            assert response.status_code == 200, (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(WHO))
def test_every_staff_page_sends_an_anonymous_visitor_to_the_staff_login(client, cast, name):
    response = request(client, name)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")
