"""The staff's back-office at /staff/: each area of work has its own view module with its URL patterns."""

from django.contrib.auth import views as auth_views
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
from ebok.portal.forms import PortalLoginForm

app_name = "backoffice"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="backoffice/login.html",
            authentication_form=PortalLoginForm,
            next_page="backoffice:home",
        ),
        name="login",
    ),
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
