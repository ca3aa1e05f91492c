"""The meter reader's app at /reader/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from ebok.collector.views import app, manifest, qr, receipt, route_json, service_worker, sync
from ebok.portal.forms import PortalLoginForm

app_name = "collector"
urlpatterns = [
    path("", app, name="app"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="collector/login.html",
            authentication_form=PortalLoginForm,
            next_page="collector:app",
        ),
        name="login",
    ),
    path("route.json", route_json, name="route"),
    path("sync/", sync, name="sync"),
    path("invoices/<int:invoice_id>/receipt.pdf", receipt, name="receipt"),
    path("invoices/<int:invoice_id>/qr.svg", qr, name="qr"),
    path("sw.js", service_worker, name="sw"),
    path("manifest.webmanifest", manifest, name="manifest"),
]
