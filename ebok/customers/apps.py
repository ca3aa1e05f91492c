from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ebok.customers"
    label = "customers"
