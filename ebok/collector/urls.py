"""The meter reader's app at /reader/."""

from django.urls import path

from ebok.collector.views import app, manifest, qr, receipt, route_json, service_worker, sync
from ebok.portal.views import account

app_name = "collector"
urlpatterns = [
    path("", app, name="app"),
    # Readers are staff: password, then a code from the authenticator app (set up at the first login).
    path(
        "login/",
        account.TwoFactorLoginView.as_view(
            area=account.READER, template_name="collector/login.html", next_page="collector:app"
        ),
        name="login",
    ),
    path("login/code/", account.LoginCodeView.as_view(area=account.READER), name="login_code"),
    path("login/setup/", account.LoginSetupView.as_view(area=account.READER), name="login_setup"),
    path("route.json", route_json, name="route"),
    path("sync/", sync, name="sync"),
    path("invoices/<int:invoice_id>/receipt.pdf", receipt, name="receipt"),
    path("invoices/<int:invoice_id>/qr.svg", qr, name="qr"),
    path("sw.js", service_worker, name="sw"),
    path("manifest.webmanifest", manifest, name="manifest"),
]
