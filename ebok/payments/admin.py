from django.contrib import admin

from ebok.common.admin import ReadOnlyAdmin
from ebok.payments.models import InterestRate, LedgerEntry, Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "amount", "customer", "title"]
    search_fields = ["customer__code", "title", "bank_reference"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["customer", "booked_on", "kind", "amount"]
    search_fields = ["customer__code"]


@admin.register(InterestRate)
class InterestRateAdmin(admin.ModelAdmin):
    """Editable: a new rate is added here when the NBP reference rate changes (billing-rules §8)."""

    list_display = ["kind", "valid_from", "annual_percent", "note"]
    list_filter = ["kind"]
    ordering = ["kind", "-valid_from"]
