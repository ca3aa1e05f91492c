from django.contrib import admin

from ebok.common.admin import ReadOnlyAdmin
from ebok.readings.models import Reading


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = ["meter", "date", "value", "source", "status", "reason_code"]
    list_filter = ["status", "source"]
    search_fields = ["meter__serial_number", "meter__service_point__customer__code"]
