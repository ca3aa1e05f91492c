"""URL map: the portal for customers at /, staff at /staff/, meter readers at /reader/, the API at /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from ebok.api.v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("staff/", include("ebok.backoffice.urls")),
    path("", include("ebok.portal.urls")),
]
