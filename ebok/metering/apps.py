from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "ebok.metering"
    label = "metering"
