from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ebok.audit"
    label = "audit"
