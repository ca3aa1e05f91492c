from django.contrib import admin

from ebok.common.admin import ReadOnlyAdmin
from ebok.notifications.models import ConsentEvent

admin.site.register(ConsentEvent, ReadOnlyAdmin, list_display=["customer", "kind", "given", "channel", "at"])
