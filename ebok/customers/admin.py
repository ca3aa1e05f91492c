from django.contrib import admin

from ebok.customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "city", "email"]
    search_fields = ["code", "name", "nip", "bank_account", "email"]
    list_filter = ["kind"]
