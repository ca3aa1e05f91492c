from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "ebok.integrations"
    label = "integrations"
