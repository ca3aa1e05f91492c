from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ebok.notifications"
    label = "notifications"
