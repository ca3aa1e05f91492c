from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "ebok.tariffs"
    label = "tariffs"
