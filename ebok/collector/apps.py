from django.apps import AppConfig


class CollectorConfig(AppConfig):
    name = "ebok.collector"
    label = "collector"
