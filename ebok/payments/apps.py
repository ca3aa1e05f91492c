from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ebok.payments"
    label = "payments"
