"""Every URL pattern of the site (portal, back-office, reader app, API, Django admin, the language switch),
read from the URL configuration, with a concrete URL for each, so that tests over "every URL" cannot miss a
new one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

# A value for each kind of path argument: objects that don't exist, so nothing is changed by a request and
# an allowed caller gets 404 (the rights are checked before the object is looked up).
SAMPLES = {"int": "999999", "str": "999999", "path": "999999", "slug": "faq", "uuid": "0" * 32}
# Regular-expression patterns (only the Django admin has them) with a URL each; a new one fails the map.
REGEX_SAMPLES = {
    "admin:app_list": "/admin/auth/",
    "admin:catch_all_view": "/admin/no-such-page/",
}
_ARGUMENT = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name with namespaces ("portal:invoice"), its route ("invoices/<int:invoice_id>/")
    and a URL that resolves to it."""

    name: str
    route: str
    url: str

    @property
    def area(self) -> str:
        first = self.route.split("/", 1)[0]
        return {"staff": "backoffice", "reader": "reader", "admin": "admin", "api": "api"}.get(
            first, "portal"
        )


def _sample(route: str) -> str:
    return "/" + _ARGUMENT.sub(lambda m: SAMPLES[m["converter"] or "str"], route)


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            continue
        assert isinstance(pattern, URLPattern)
        callback = getattr(pattern.callback, "__name__", "view")
        name = f"{namespace}{pattern.name or callback}"
        route = prefix + str(pattern.pattern)
        if isinstance(pattern.pattern, RegexPattern):
            if name not in REGEX_SAMPLES:
                raise AssertionError(f"no sample URL for the regular-expression pattern {name}: {route!r}")
            yield Route(name, route, REGEX_SAMPLES[name])
        else:
            yield Route(name, route, _sample(route))


def all_routes() -> list[Route]:
    """Every URL pattern of ebok.urls, each once (the API lists a path once per HTTP method: kept once)."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        seen.setdefault(route.route, route)
    return list(seen.values())
