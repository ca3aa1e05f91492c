"""Background tasks of notifications (one task API: django-tasks, Django's own `django.tasks` from 6.0).

Tasks take primary keys; the work is in the outbox module.
"""

from __future__ import annotations

from django_tasks import task

from ebok.notifications.outbox import message_deliver


@task()
def deliver_message(message_id: int) -> str:
    return message_deliver(message_id=message_id)
