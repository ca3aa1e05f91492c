from django.contrib import admin

from ebok.common.admin import ReadOnlyAdmin
from ebok.integrations.models import ApiToken

admin.site.register(
    ApiToken, ReadOnlyAdmin, list_display=["prefix", "user", "name", "created_at", "revoked_at"]
)
