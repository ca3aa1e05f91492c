"""Security headers on every response and secure cookies in production (ASVS 5.0 V3.3, V3.4).

Every URL pattern of the site (tests/security/urlmap.py: portal, back-office, reader app, API, Django admin)
is requested anonymously (GET and POST) and as a superuser, whatever the answer (200, 302, 401, 403, 404,
405): each response carries the Content-Security-Policy, nosniff, Referrer-Policy and X-Frame-Options.
The production settings are read from a subprocess started with EBOK_ENV=production (as
tests/test_settings.py does) and applied with override_settings for HSTS, the HTTPS redirect and cookies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path, reverse

from ebok.accounts.models import User
from tests.security.urlmap import all_routes

ROUTES = all_routes()
AREAS = sorted({route.area for route in ROUTES})
REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
PASSWORD = "correct horse battery"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(response) -> list[str]:
    """What is missing or weak in the security headers of one response (empty: all good)."""
    problems = []
    header = response.get("Content-Security-Policy")
    if not header:
        problems.append("no Content-Security-Policy")
    else:
        csp = csp_directives(header)
        for directive in ("object-src", "base-uri", "frame-ancestors"):
            if csp.get(directive) != ["'none'"]:
                problems.append(f"{directive} is {csp.get(directive)}, not 'none'")
        scripts = csp.get("script-src", csp.get("default-src"))
        if not scripts:
            problems.append("neither script-src nor default-src")
        elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts):
            problems.append(f"script-src allows too much: {scripts}")
        if "'unsafe-inline'" in csp.get("style-src", []):
            problems.append("style-src allows 'unsafe-inline'")
    if response.has_header("Content-Security-Policy-Report-Only") and not header:
        problems.append("the policy is only reported, not enforced")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options: {response.get('X-Content-Type-Options')}")
    if response.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy: {response.get('Referrer-Policy')}")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options: {response.get('X-Frame-Options')}")
    return problems


@pytest.fixture
def superuser(company):
    return User.objects.create_superuser(username="root", email="root@example.org", password=PASSWORD)


def test_the_url_map_covers_every_area_of_the_site():
    assert set(AREAS) == {"admin", "api", "backoffice", "portal", "reader"}
    assert any(route.name == "set_language" for route in ROUTES)
    assert any(route.url == "/api/v1/docs" for route in ROUTES)


@pytest.mark.parametrize("area", AREAS)
def test_every_url_answers_with_the_security_headers(client, superuser, area):
    client.raise_request_exception = False  # a server error is reported below with the others
    failures = []
    for route in [r for r in ROUTES if r.area == area]:
        for who in ("anonymous", "superuser"):
            if who == "superuser":
                client.force_login(superuser)
            methods = ("get", "post") if who == "anonymous" else ("get",)
            for method in methods:
                response = getattr(client, method)(route.url)
                problems = header_problems(response)
                if response.status_code >= 500:
                    problems.append("a server error")
                for problem in problems:
                    failures.append(
                        f"{method.upper()} {route.url} as {who} ({response.status_code}): {problem}"
                    )
            client.logout()

    assert not failures, "\n".join(failures)


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), path("ok/", lambda request: HttpResponse("ok"))]


@pytest.mark.urls(__name__)
def test_error_pages_carry_the_headers_too_and_show_no_internals(client, company):
    client.raise_request_exception = False

    not_found = client.get("/no-such-page/")
    error = client.get("/boom/")

    assert (not_found.status_code, error.status_code) == (404, 500)
    assert header_problems(not_found) == header_problems(error) == []
    assert b"RuntimeError" not in error.content and b"Traceback" not in error.content


# --- production settings ------------------------------------------------------------------------------------

PRODUCTION_ENV = {
    "EBOK_ENV": "production",
    "EBOK_SECRET_KEY": "x" * 20 + "Qz7-kP2_mN9vR4tY6uW8aB1cD3eF5gH0",
    "EBOK_ALLOWED_HOSTS": "testserver",
}
_READ_SETTINGS = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "ebok.settings"
from django.conf import settings as s  # with Django's defaults for what ebok.settings leaves out
names = [n for n in dir(s) if n.startswith(("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_", "LANGUAGE_COOKIE_"))
         or n in ("X_FRAME_OPTIONS", "DEBUG", "CSRF_USE_SESSIONS", "MESSAGE_STORAGE")]
print(json.dumps({n: getattr(s, n) for n in names}))
"""


@pytest.fixture(scope="module")
def production_settings(tmp_path_factory) -> dict:
    """The security settings exactly as `ebok.settings` builds them with EBOK_ENV=production."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EBOK_", "DATABASE_URL", "DJANGO_"))}
    env = base | PRODUCTION_ENV | {"EBOK_DATA_DIR": str(tmp_path_factory.mktemp("production"))}
    result = subprocess.run(
        [sys.executable, "-c", _READ_SETTINGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    if isinstance(values.get("SECURE_PROXY_SSL_HEADER"), list):
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    assert values["DEBUG"] is False
    return values


@pytest.fixture
def production(production_settings):
    with override_settings(**production_settings):
        yield production_settings


def test_production_sends_plain_http_to_https(client, company, production):
    response = client.get("/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"


def test_production_answers_with_hsts_for_a_year_with_subdomains(client, company, production):
    for response in (client.get("/", secure=True), client.get("/", headers={"X-Forwarded-Proto": "https"})):
        assert response.status_code == 200
        hsts = [part.strip() for part in response["Strict-Transport-Security"].split(";")]
        assert int(hsts[0].removeprefix("max-age=")) >= 365 * 24 * 3600
        assert "includeSubDomains" in hsts
        assert header_problems(response) == []


def test_production_session_cookie_is_secure_httponly_and_samesite(client, cast, production):
    response = client.post(
        reverse("portal:login"),
        {"username": "customer_a@example.org", "password": PASSWORD},
        secure=True,
    )

    assert response.status_code == 302, response.content.decode()[:500]
    cookie = response.cookies[production["SESSION_COOKIE_NAME"]]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] in ("Lax", "Strict")
    assert not cookie["domain"]  # sent back only to this host


def test_production_csrf_cookie_is_secure_and_samesite(client, company, production):
    response = client.get(reverse("portal:login"), secure=True)

    cookie = response.cookies[production["CSRF_COOKIE_NAME"]]
    assert cookie["secure"] is True
    assert cookie["samesite"] in ("Lax", "Strict")
    assert not cookie["domain"]
    # Not HttpOnly on purpose: the reader app's script sends it back as X-CSRFToken (collector/app.js). The
    # token is not a credential: it only proves that a request comes from our own pages (ASVS 3.3.4).


def test_production_cookie_names_carry_the_host_prefix(production):
    assert production["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert production["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert production["LANGUAGE_COOKIE_NAME"].startswith("__Host-") and production["LANGUAGE_COOKIE_SECURE"]
    assert production["MESSAGE_STORAGE"].endswith("SessionStorage")  # no cookie of its own
