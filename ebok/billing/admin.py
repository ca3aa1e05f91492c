from django.contrib import admin

from ebok.billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceMeterReading
from ebok.common.admin import ReadOnlyAdmin


class LineInline(admin.TabularInline):
    model = InvoiceLine
    can_delete = False
    extra = 0

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer_code", "issue_date", "period_start", "period_end", "total_gross"]
    search_fields = ["number", "customer_code"]
    list_filter = ["kind", "year"]
    inlines = [LineInline]


admin.site.register(InvoiceCounter, ReadOnlyAdmin)
admin.site.register(InvoiceMeterReading, ReadOnlyAdmin)
