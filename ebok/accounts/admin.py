from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from ebok.accounts.models import CustomerAccess, User


class CustomerAccessInline(admin.TabularInline):
    model = CustomerAccess
    extra = 0
    raw_id_fields = ["customer"]


@admin.register(User)
class EbokUserAdmin(UserAdmin):
    inlines = [CustomerAccessInline]
    fieldsets = UserAdmin.fieldsets + ((None, {"fields": ["language"]}),)
