"""Portal fixtures: the cast's customer A logged in (`home_a` is in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def client_a(client, cast):
    client.force_login(cast["customer_a"])
    return client
