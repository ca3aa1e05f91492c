"""Back-office fixtures: a logged-in client per staff role of the fixed cast."""

from __future__ import annotations

import pytest


@pytest.fixture
def staff(client, cast):
    """`staff("office_clerk")` → the test client logged in as that member of the cast (or a customer)."""

    def login(name: str):
        client.force_login(cast[name])
        return client

    return login


@pytest.fixture
def staff_en(staff):
    """Like `staff`, with pages in English (for tests that read the page's words)."""
    from django.conf import settings

    def login(name: str):
        client = staff(name)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login
