from django.contrib import admin

from ebok.tariffs.models import Tariff, TariffGroup


class TariffInline(admin.TabularInline):
    model = Tariff
    extra = 0


@admin.register(TariffGroup)
class TariffGroupAdmin(admin.ModelAdmin):
    inlines = [TariffInline]
