from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`ebok seed` (a synthetic utility through the real services) and `ebok demo` (seed, users, serve)."""

    name = "ebok.demo"
    label = "demo"
    verbose_name = "Demo data"
