from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ebok.portal"
    label = "portal"
