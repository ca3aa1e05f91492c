"""The client's address behind a reverse proxy, and no caching of pages."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from ebok.common.middleware import NoStoreMiddleware, ProxyClientIPMiddleware


def _seen_address(settings, hops: int, forwarded: str | None, remote: str = "127.0.0.1") -> str:
    settings.EBOK_PROXY_HOPS = hops
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **extra)
    ProxyClientIPMiddleware(lambda r: HttpResponse())(request)
    return request.META["REMOTE_ADDR"]


def test_without_a_configured_proxy_the_forwarded_header_is_ignored(settings):
    assert _seen_address(settings, 0, "203.0.113.7") == "127.0.0.1"


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(settings):
    assert _seen_address(settings, 1, "203.0.113.7") == "203.0.113.7"


def test_a_client_cannot_choose_its_address_by_sending_the_header_itself(settings):
    # The client sent "X-Forwarded-For: 10.0.0.1"; nginx appended the real address.
    assert _seen_address(settings, 1, "10.0.0.1, 203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_address_two_from_the_right_is_the_client(settings):
    assert _seen_address(settings, 2, "10.0.0.1, 203.0.113.7, 192.0.2.10") == "203.0.113.7"


@pytest.mark.parametrize("junk", ["", "unknown", "203.0.113.7\n2026-01-01 INFO forged", "999.1.1.1"])
def test_junk_in_the_header_leaves_the_proxys_address(settings, junk):
    assert _seen_address(settings, 1, junk) == "127.0.0.1"


def test_pages_are_not_stored_by_any_cache():
    response = NoStoreMiddleware(lambda r: HttpResponse("personal data"))(RequestFactory().get("/"))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_view_that_sets_its_own_caching_keeps_it():
    def view(request):
        response = HttpResponse("public")
        response["Cache-Control"] = "max-age=3600"
        return response

    assert NoStoreMiddleware(view)(RequestFactory().get("/"))["Cache-Control"] == "max-age=3600"


def test_every_page_of_the_portal_is_sent_with_no_store(client, company):
    assert "no-store" in client.get("/")["Cache-Control"]
