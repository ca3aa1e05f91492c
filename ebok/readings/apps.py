from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "ebok.readings"
    label = "readings"
