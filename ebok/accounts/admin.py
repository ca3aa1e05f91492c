from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ebok.accounts.models import CustomerAccess, User
from ebok.accounts.twofactor import is_verified


class VerifiedAdminSite(admin.AdminSite):
    """Django's admin behind the staff login: it has no login form of its own (which would skip the code and
    the login limits), and it opens only to a superuser whose session gave the second factor. It is the
    emergency tool; staff work in the back-office, where every change goes through an audited service."""

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_superuser and is_verified(request.user)

    def login(self, request, extra_context=None):
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"), reverse("backoffice:login")
        )


# The default site (admin.site, used by every app's admin.py) becomes this class, as django-otp documents
# for its own OTPAdminSite.
admin.site.__class__ = VerifiedAdminSite

# django-otp's admin for TOTP devices shows each person's secret key and QR code to any superuser, and edits
# devices without an audit entry. Devices are reset with `ebok reset-2fa USERNAME` (audited) instead.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class CustomerAccessInline(admin.TabularInline):
    model = CustomerAccess
    extra = 0
    raw_id_fields = ["customer"]


@admin.register(User)
class EbokUserAdmin(UserAdmin):
    inlines = [CustomerAccessInline]
    fieldsets = UserAdmin.fieldsets + ((None, {"fields": ["language"]}),)
