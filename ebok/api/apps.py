from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ebok.api"
    label = "api"
