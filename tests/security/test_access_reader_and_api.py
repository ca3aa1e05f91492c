"""Who may use each URL of the meter reader's app (/reader/) and each operation of the API (/api/v1/), and
what is left of the URL map (the Django admin, the language switch).

As in tests/portal/test_access.py and tests/backoffice/test_access.py, the lists come from the URL
configuration and the OpenAPI schema, so a new URL or operation fails `test_every_..._is_in_the_table` until
it is given its row. Objects in the URLs don't exist: the rights are checked before the object is looked up,
so an allowed caller gets 404 (or a validation answer) and nothing is changed by these requests.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse

from ebok.collector.urls import urlpatterns as reader_patterns
from ebok.common.actor import SYSTEM
from ebok.integrations.services import api_token_create
from ebok.urls import urlpatterns as root_patterns
from tests.security.urlmap import all_routes

CLERK, ADMIN, AUDITOR, READER = "office_clerk", "administrator", "auditor", "meter_reader"
STAFF = {CLERK, ADMIN, AUDITOR, READER}
VIEWERS = {CLERK, ADMIN, AUDITOR}  # every view_* permission of the domain apps
WORKERS = {CLERK, ADMIN}
ROLES = [*sorted(STAFF), "customer_a"]  # customer A: a portal account, not staff

# --- the reader app ------------------------------------------------------------------------------------------

READER_PUBLIC = {"login", "sw", "manifest"}  # the service worker and the manifest hold no data
# The steps of the login after the password (two-step login): without a password given first, back to it.
READER_LOGIN_STEPS = {"login_code", "login_setup"}
# The roles that may use each page: those whose role grants readings.add_reading (collector.views).
READER_WHO: dict[str, set[str]] = {
    "app": {CLERK, ADMIN, READER},
    "route": {CLERK, ADMIN, READER},
    "sync": {CLERK, ADMIN, READER},
    "receipt": {CLERK, ADMIN, READER},
    "qr": {CLERK, ADMIN, READER},
}
READER_POST_ONLY = {"sync"}
READER_JSON = {"route", "sync"}  # a script calls these: 401 with JSON instead of the login page
READER_PATTERNS = {p.name: p for p in reader_patterns if isinstance(p, URLPattern)}


def reader_url(name: str) -> str:
    converters = READER_PATTERNS[name].pattern.converters
    return reverse(f"collector:{name}", kwargs=dict.fromkeys(converters, 999999))


def reader_request(client, name: str):
    if name in READER_POST_ONLY:
        return client.post(reader_url(name), json.dumps({"items": []}), content_type="application/json")
    return client.get(reader_url(name))


def test_every_reader_url_is_in_the_table():
    assert set(READER_PATTERNS) == READER_PUBLIC | READER_LOGIN_STEPS | set(READER_WHO)


@pytest.mark.parametrize("name", sorted(READER_WHO))
def test_each_role_gets_exactly_the_reader_pages_of_the_table(client, cast, name):
    for role in ROLES:
        client.force_login(cast[role])
        response = reader_request(client, name)
        client.logout()
        if role not in READER_WHO[name]:
            assert response.status_code == 403, (name, role, response.status_code)
        elif READER_PATTERNS[name].pattern.converters:
            assert response.status_code == 404, (name, role, response.status_code)  # no such invoice
        else:
            assert response.status_code == 200, (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(READER_WHO))
def test_every_reader_page_sends_an_anonymous_visitor_to_the_reader_login(client, company, name):
    response = reader_request(client, name)

    if name in READER_JSON:
        assert response.status_code == 401
        assert response.json() == {"error": "login"}
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("collector:login") + "?next=")


@pytest.mark.parametrize("name", sorted(READER_PUBLIC))
def test_public_reader_urls_open_without_login(client, company, name):
    assert client.get(reader_url(name)).status_code == 200


@pytest.mark.parametrize("name", sorted(READER_LOGIN_STEPS))
def test_the_login_steps_after_the_password_send_back_to_the_password(client, company, name):
    response = client.get(reader_url(name))

    assert response.status_code == 302
    assert response["Location"] == reverse("collector:login")


# --- the API -------------------------------------------------------------------------------------------------

ME = "any"  # /me operations: every logged-in caller, each sees only the customers linked to the account
# The roles allowed each operation (ebok/api/v1.py: `require`/`require_object` and their permissions).
API_WHO: dict[str, set[str] | str] = {
    "GET /api/v1/tariff-groups": VIEWERS,
    "POST /api/v1/tariff-groups": {ADMIN},
    "POST /api/v1/tariff-groups/{code}/tariffs": {ADMIN},
    "GET /api/v1/customers": VIEWERS,
    "POST /api/v1/customers": WORKERS,
    "GET /api/v1/customers/{code}": VIEWERS,
    "GET /api/v1/customers/{code}/balance": VIEWERS,
    "GET /api/v1/customers/{code}/ledger": VIEWERS,
    "GET /api/v1/service-points": STAFF,
    "POST /api/v1/service-points": WORKERS,
    "GET /api/v1/service-points/{point_id}": STAFF,
    "GET /api/v1/meters": STAFF,
    "POST /api/v1/meters": WORKERS,
    "GET /api/v1/meters/{meter_id}": STAFF,
    "POST /api/v1/meters/{meter_id}/replacement": WORKERS,
    "GET /api/v1/readings": STAFF,
    "POST /api/v1/readings": {CLERK, ADMIN, READER},
    "GET /api/v1/readings/{reading_id}": STAFF,
    "GET /api/v1/invoices": STAFF,
    "POST /api/v1/invoices": {CLERK, ADMIN, READER},
    "GET /api/v1/invoices/{invoice_id}": STAFF,
    "GET /api/v1/invoices/{invoice_id}/pdf": STAFF,
    "GET /api/v1/invoices/{invoice_id}/ksef.xml": STAFF,
    "POST /api/v1/invoices/{invoice_id}/corrections": WORKERS,
    "GET /api/v1/payments": VIEWERS,
    "POST /api/v1/payments": WORKERS,
    "POST /api/v1/payments/statements": WORKERS,
    "GET /api/v1/me": ME,
    "GET /api/v1/me/balance/{code}": ME,
    "GET /api/v1/me/invoices": ME,
    "GET /api/v1/me/invoices/{invoice_id}": ME,
    "GET /api/v1/me/invoices/{invoice_id}/pdf": ME,
    "GET /api/v1/me/payments": ME,
    "GET /api/v1/me/readings": ME,
    "POST /api/v1/me/readings": ME,
}
MISSING = 999999  # no object has this key or code
# A body that passes validation for each operation that takes one, so that the request reaches the rights
# check (the API validates the body first). Each names objects that don't exist (or a code that does: 409),
# so an allowed role gets 404/409 and nothing is created.
BODIES: dict[str, dict] = {
    "POST /api/v1/tariff-groups": {"code": "G1", "name": "Gospodarstwa domowe"},  # exists: 409
    "POST /api/v1/tariff-groups/{code}/tariffs": {
        "valid_from": "2026-01-01",
        "water_price": "6.50",
        "sewage_price": "9.10",
        "subscription_fee": "17.20",
    },
    "POST /api/v1/customers": {
        "code": "{customer_a_code}",  # exists: 409
        "name": "Anna Nowak",
        "street": "ul. Polna 1",
        "postal_code": "26-065",
        "city": "Piekoszów",
    },
    "POST /api/v1/service-points": {
        "customer_code": str(MISSING),
        "tariff_group": "G1",
        "street": "ul. Polna 1",
        "postal_code": "26-065",
        "city": "Piekoszów",
        "opening_date": "2025-01-01",
    },
    "POST /api/v1/meters": {
        "service_point_id": MISSING,
        "serial_number": "WM-NEW-1",
        "installed_on": "2025-01-01",
        "installation_reading": "0",
    },
    "POST /api/v1/meters/{meter_id}/replacement": {
        "on": "2025-06-01",
        "removal_reading": "10",
        "new_serial_number": "WM-NEW-2",
        "installation_reading": "0",
    },
    "POST /api/v1/readings": {"meter_id": MISSING, "date": "2025-06-01", "value": "10"},
    "POST /api/v1/invoices": {"service_point_id": MISSING, "up_to": "2025-06-01"},
    "POST /api/v1/invoices/{invoice_id}/corrections": {"reason": "Misread meter"},
    "POST /api/v1/payments": {"customer_code": str(MISSING), "amount": "10.00", "received_on": "2025-06-01"},
    "POST /api/v1/me/readings": {"meter_id": MISSING, "date": "2025-06-01", "value": "10"},
}
UPLOADS = {"POST /api/v1/payments/statements"}  # multipart: a file that is not a statement (422 if allowed)
_PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture(scope="module")
def operations(django_db_blocker) -> list[str]:
    """Every operation of the API as "METHOD /path", read from the OpenAPI schema the API serves."""
    with django_db_blocker.unblock():
        schema = Client().get("/api/v1/openapi.json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    return sorted(
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    )


def api_call(client: Client, operation: str, token: str | None, *, customer_code: str = str(MISSING)):
    method, template = operation.split(" ", 1)
    url = _PARAMETER.sub(str(MISSING), template)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, headers=headers)
    if operation in UPLOADS:
        upload = SimpleUploadedFile("statement.sta", b"not a bank statement\n")
        return client.post(url, {"file": upload, "format": "mt940"}, headers=headers)
    body = json.dumps(BODIES[operation]).replace("{customer_a_code}", customer_code)
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.fixture
def tokens(cast, tariff):
    return {role: api_token_create(actor=SYSTEM, user=cast[role])[1] for role in ROLES}


def test_every_api_operation_is_in_the_table(operations):
    assert set(operations) == set(API_WHO)
    assert {op for op in API_WHO if not op.startswith("GET")} == set(BODIES) | UPLOADS


def test_the_api_url_patterns_are_the_operations_of_the_schema(operations):
    """The schema is generated from the same routers as the URL patterns: no URL of /api/v1/ is undocumented."""
    routes = {route.route.removeprefix("api/v1") for route in all_routes() if route.area == "api"}
    documented = {_PARAMETER.sub("<>", op.split(" ", 1)[1].removeprefix("/api/v1")) for op in operations}
    served = {re.sub(r"<[^>]+>", "<>", "/" + route).replace("//", "/") for route in routes}
    # Besides the operations: the schema itself, its page, and Ninja's root (404, see test_headers.py).
    assert served - documented == {"/openapi.json", "/docs", "/"}


@pytest.mark.parametrize("operation", sorted(API_WHO))
def test_every_api_operation_needs_a_token_or_a_session(client, company, operation):
    response = api_call(client, operation, None)

    assert response.status_code == 401, (operation, response.status_code)
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("operation", sorted(API_WHO))
def test_each_role_gets_exactly_the_api_operations_of_the_table(client, cast, tokens, operation):
    allowed = API_WHO[operation]
    for role in ROLES:
        response = api_call(client, operation, tokens[role], customer_code=cast["customer_a_record"].code)
        status = response.status_code
        if allowed == ME:
            assert status in (200, 404), (operation, role, status)  # own data, or nothing of that key
        elif role == "customer_a":
            assert status in (403, 404), (operation, role, status)  # 404: others' objects are not revealed
        elif role in allowed:
            assert status not in (401, 403, 405) and status < 500, (operation, role, status, response.content)
        else:
            assert status == 403, (operation, role, status, response.content)


def test_the_openapi_document_has_no_duplicate_keys(client, company):
    """JSON parsers keep the last of two equal keys, Swagger UI refuses the whole document ("duplicated
    mapping key"): /api/v1/docs would show nothing (tests/browser/test_csp.py opens it)."""
    duplicates = []

    def pairs(items):
        keys = [key for key, _value in items]
        duplicates.extend({key for key in keys if keys.count(key) > 1})
        return dict(items)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=pairs)

    assert not duplicates


def test_the_public_api_pages_open_without_a_token(client, company):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_a_portal_session_cannot_post_to_the_api_without_the_csrf_token(cast, home_a):
    """Cookie-authenticated API calls are CSRF-checked (ASVS 3.5.1); a bearer token needs no CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["customer_a"])
    body = {"meter_id": home_a["meter"].pk, "date": "2025-06-30", "value": "500"}

    response = browser.post("/api/v1/me/readings", body, content_type="application/json")

    assert response.status_code in (401, 403), response.content
    assert not home_a["meter"].readings.filter(value=500).exists()


# --- the rest of the URL map ---------------------------------------------------------------------------------

COVERED = {  # the matrices that cover each part of ebok.urls
    "": "tests/portal/test_access.py",
    "staff/": "tests/backoffice/test_access.py",
    "reader/": "this file (reader app)",
    "api/v1/": "this file (API)",
    "admin/": "this file (Django admin)",
    "i18n/setlang/": "this file (language switch)",
}
FROZEN = [  # financial and audit records: nobody adds, changes or deletes them through the admin
    "billing/invoice",
    "billing/invoicecounter",
    "payments/payment",
    "payments/ledgerentry",
    "readings/reading",
    "audit/auditentry",
]


def test_every_part_of_the_url_map_is_covered_by_a_matrix():
    assert {str(p.pattern) for p in root_patterns} == set(COVERED)


@pytest.mark.parametrize("who", ["anonymous", "customer_a", *sorted(STAFF)])
def test_the_django_admin_sends_anyone_but_a_superuser_to_the_staff_login(client, cast, who):
    if who != "anonymous":
        client.force_login(cast[who])
    failures = []
    for route in [
        r for r in all_routes() if r.area == "admin" and r.name not in ("admin:login", "admin:logout")
    ]:
        response = client.get(route.url)
        if response.status_code != 302 or not response["Location"].startswith("/admin/login/"):
            failures.append(f"{route.url}: {response.status_code} {response.get('Location')}")

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("model", FROZEN)
def test_nobody_adds_changes_or_deletes_financial_and_audit_records_in_the_admin(client, cast, home_a, model):
    root = get_user_model().objects.create_superuser(username="root", email="root@example.org", password="x")
    app_label, model_name = model.split("/")
    obj = apps.get_model(app_label, model_name).objects.order_by("pk").first()
    for user in [root, *(cast[role] for role in sorted(STAFF))]:
        client.force_login(user)
        # The superuser is refused the change; other staff aren't let into the admin at all (sent to the login).
        assert client.get(f"/admin/{model}/add/").status_code == (403 if user.is_superuser else 302), (
            model,
            user,
        )
        if obj is not None:
            refused = 403 if user.is_superuser else 302
            assert client.post(f"/admin/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == refused
            assert client.post(f"/admin/{model}/{obj.pk}/change/", {}).status_code in (302, 403)
            assert apps.get_model(app_label, model_name).objects.filter(pk=obj.pk).exists()
        client.logout()


def test_the_language_switch_needs_no_login_and_stays_on_the_site(client, company):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})["Location"] == "/help/"


@pytest.mark.parametrize("name", ["receipt", "qr"])
def test_a_reader_gets_404_for_an_invoice_not_on_his_routes(client, cast, home_a, name):
    invoice = home_a["customer"].invoices.first()
    client.force_login(cast[READER])

    response = client.get(reverse(f"collector:{name}", args=[invoice.pk]))

    assert response.status_code == 404
