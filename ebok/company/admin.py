from django.contrib import admin

from ebok.company.models import Company, ReadingWindow


class ReadingWindowInline(admin.TabularInline):
    model = ReadingWindow
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    inlines = [ReadingWindowInline]
