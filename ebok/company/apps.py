from django.apps import AppConfig


class CompanyConfig(AppConfig):
    name = "ebok.company"
    label = "company"
