from django.contrib import admin

from ebok.metering.models import Meter, Route, ServicePoint


class MeterInline(admin.TabularInline):
    model = Meter
    extra = 0


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "street", "city", "tariff_group", "route"]
    search_fields = ["customer__code", "street", "city", "meters__serial_number"]
    raw_id_fields = ["customer"]
    inlines = [MeterInline]


admin.site.register(
    Meter,
    list_display=["serial_number", "service_point", "role", "installed_on", "removed_on"],
    search_fields=["serial_number"],
    raw_id_fields=["service_point"],
)
admin.site.register(Route)
