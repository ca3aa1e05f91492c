from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "ebok.backoffice"
    label = "backoffice"
