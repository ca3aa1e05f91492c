"""Staff roles as Django groups with their model permissions, kept in step with this table on every migrate."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from ebok.accounts.models import Role

DOMAIN_APPS = [
    "company",
    "accounts",
    "customers",
    "tariffs",
    "metering",
    "readings",
    "billing",
    "payments",
    "notifications",
    "audit",
]

# (app_label, codename) pairs beyond "view everything", which every staff role has except the meter reader.
_CLERK = [
    ("customers", "add_customer"),
    ("customers", "change_customer"),
    ("metering", "add_servicepoint"),
    ("metering", "change_servicepoint"),
    ("metering", "add_meter"),
    ("metering", "change_meter"),
    ("metering", "add_route"),
    ("metering", "change_route"),
    ("readings", "add_reading"),
    ("readings", "change_reading"),
    ("billing", "add_invoice"),
    ("billing", "correct_invoice"),
    ("payments", "add_payment"),
    ("payments", "change_payment"),
    ("notifications", "add_consentevent"),
    ("notifications", "change_message"),  # send a failed message again
    ("notifications", "add_announcement"),  # create and send announcements
    ("accounts", "change_customeraccess"),
    ("accounts", "add_customeraccess"),
    ("accounts", "decide_registration"),
    ("customers", "change_changerequest"),
]
_READER = [
    ("metering", "view_servicepoint"),
    ("metering", "view_meter"),
    ("metering", "view_route"),
    ("readings", "add_reading"),
    ("readings", "view_reading"),
    ("billing", "add_invoice"),
    ("billing", "view_invoice"),
]


def _perms(pairs):
    query = Permission.objects.none()
    for app_label, codename in pairs:
        query = query | Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return query


def ensure_roles(**_kwargs) -> None:
    # post_migrate reaches this app before Django has created the permissions of apps listed after it.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    view_all = Permission.objects.filter(
        content_type__app_label__in=DOMAIN_APPS, codename__startswith="view_"
    )
    everything = Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)
    wanted = {
        Role.CLERK: view_all | _perms(_CLERK),
        Role.READER: _perms(_READER),
        Role.ADMIN: everything,
        Role.AUDITOR: view_all,
    }
    for role, permissions in wanted.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set(permissions)
