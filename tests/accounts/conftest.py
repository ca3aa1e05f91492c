"""Authentication fixtures: pages in English, and a clerk and a customer who log in through the real forms."""

from __future__ import annotations

import pytest
from django.conf import settings

PASSWORD = "correct horse battery"  # the cast's password (tests/conftest.py)


@pytest.fixture
def client(client):
    """Pages in English, so that the tests can read the messages as written in the code."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_in(client, username: str, password: str = PASSWORD, path: str = "/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def form_errors(response, field: str | None = None) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in (form.errors.get(field, []) if field else form.non_field_errors())]
