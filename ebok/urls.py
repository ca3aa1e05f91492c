"""URL map: the portal for customers at /, staff at /staff/, meter readers at /reader/, the API at /api/v1/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("ebok.portal.urls")),
]
