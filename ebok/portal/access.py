"""Who may see what in the portal: every page below the public ones goes through `customer_required`.

A logged-in person sees only the customer records linked to their account (granted on activation); one of
them is "current" (kept in the session, switchable). Objects are always looked up through these records,
so another customer's invoice, point or reading is simply not found (404).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import redirect

from ebok.accounts.selectors import customers_for_user
from ebok.common.actor import Actor
from ebok.customers.models import Customer

SESSION_KEY = "ebok_customer"


def client_ip(request: HttpRequest) -> str:
    # Behind the reverse proxy (docs/deployment.md) REMOTE_ADDR is set from X-Forwarded-For by the proxy.
    return request.META.get("REMOTE_ADDR", "")


def portal_actor(request: HttpRequest, channel: str = "portal") -> Actor:
    user = request.user if request.user.is_authenticated else None
    return Actor(user=user, channel=channel, ip=client_ip(request) or None)


def customer_required(view):
    """Log in first; then the account must be activated (linked to a customer), else its status page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not attach_customers(request):
            return redirect("portal:account")
        return view(request, *args, **kwargs)

    return wrapper


def attach_customers(request: HttpRequest) -> bool:
    """Set request.customers (all the user's records) and request.customer (the current one); False if none."""
    customers = list(customers_for_user(request.user))
    if not customers:
        return False
    chosen = request.session.get(SESSION_KEY)
    request.customers = customers
    request.customer = next((c for c in customers if c.pk == chosen), customers[0])
    return True


def choose_customer(request: HttpRequest, customer: Customer) -> None:
    request.session[SESSION_KEY] = customer.pk
