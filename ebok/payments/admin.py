from django.contrib import admin

from ebok.common.admin import ReadOnlyAdmin
from ebok.payments.models import LedgerEntry, Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "amount", "customer", "title"]
    search_fields = ["customer__code", "title", "bank_reference"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["customer", "booked_on", "kind", "amount"]
    search_fields = ["customer__code"]
