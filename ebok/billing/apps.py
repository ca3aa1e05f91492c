from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ebok.billing"
    label = "billing"
