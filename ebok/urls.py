"""URL map: the portal for customers at /, staff at /staff/, meter readers at /reader/, the API at /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from ebok.api.v1 import api
from ebok.portal.views.account import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("staff/", include("ebok.backoffice.urls")),
    path("reader/", include("ebok.collector.urls")),
    path("", include("ebok.portal.urls")),
]
