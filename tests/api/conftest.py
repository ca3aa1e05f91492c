from __future__ import annotations

import pytest
from django.test import Client

from ebok.common.actor import SYSTEM
from ebok.integrations.services import api_token_create


class ApiClient:
    """A JSON client for /api/v1/ with a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body, key: str | None = None):
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = key
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", headers=headers)


@pytest.fixture
def api_as(cast):
    def make(name: str) -> ApiClient:
        _token, plain = api_token_create(actor=SYSTEM, user=cast[name])
        return ApiClient(plain)

    return make
