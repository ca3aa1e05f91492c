from django.contrib import admin

from ebok.audit.models import AuditEntry
from ebok.common.admin import ReadOnlyAdmin

admin.site.register(
    AuditEntry,
    ReadOnlyAdmin,
    list_display=["at", "actor", "channel", "action", "object_type", "object_id"],
    search_fields=["action", "object_id"],
)
