from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "ebok.accounts"
    label = "accounts"

    def ready(self):
        from ebok.accounts import auth_events  # noqa: F401 - connects the audit of logins and logouts
        from ebok.accounts.roles import ensure_roles

        # Groups need the permissions that Django itself creates after migrating.
        post_migrate.connect(ensure_roles, sender=self)
