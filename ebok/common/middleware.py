"""Two small middlewares every response goes through.

- ProxyClientIPMiddleware: behind a reverse proxy every request comes from the proxy's address; with
  EBOK_PROXY_HOPS = N (the number of proxies in front of EBOK that append to X-Forwarded-For) the client's
  address is taken from that header, counting N entries from the right — the entries an attacker can't
  forge — so that throttling, audit entries and logs see the real client. Without it the header is ignored.
- NoStoreMiddleware: pages carry personal data; no browser or shared cache may keep them (ASVS 14.3.2).
  A view that sets its own Cache-Control keeps it.
"""

from __future__ import annotations

import contextlib
import ipaddress

from django.conf import settings
from django.utils.cache import patch_cache_control


class ProxyClientIPMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hops = settings.EBOK_PROXY_HOPS
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if hops and forwarded:
            addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
            candidate = addresses[-hops] if len(addresses) >= hops else (addresses[0] if addresses else "")
            with contextlib.suppress(ValueError):  # not an address: keep the proxy's
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(candidate))
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
