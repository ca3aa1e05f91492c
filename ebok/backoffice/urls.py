"""The staff's back-office at /staff/: each area of work has its own view module with its URL patterns."""

from django.urls import path

from ebok.backoffice.views import (
    activations,
    announcements,
    audit,
    customers,
    debtors,
    home,
    invoices,
    messages,
    meters,
    payments,
    readings,
    reports,
    routes,
    tariffs,
)
from ebok.portal.views import account

app_name = "backoffice"
urlpatterns = [
    # Staff log in with the password and a code from their authenticator app (ebok/accounts/twofactor.py).
    path(
        "login/",
        account.TwoFactorLoginView.as_view(
            area=account.STAFF, template_name="backoffice/login.html", next_page="backoffice:home"
        ),
        name="login",
    ),
    path("login/code/", account.LoginCodeView.as_view(area=account.STAFF), name="login_code"),
    path("login/setup/", account.LoginSetupView.as_view(area=account.STAFF), name="login_setup"),
    path("", home.home, name="home"),
]
for area in (
    activations,
    customers,
    readings,
    invoices,
    payments,
    debtors,
    meters,
    tariffs,
    reports,
    audit,
    routes,
    messages,
    announcements,
):
    urlpatterns += area.urlpatterns
