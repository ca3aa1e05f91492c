"""Background tasks of payments (one task API: django-tasks). Tasks take primary keys; the work is in services."""

from __future__ import annotations

from django_tasks import task

from ebok.payments.services import payments_notify_received


@task()
def notify_payments_received(payment_ids: list[int]) -> int:
    return payments_notify_received(payment_ids=payment_ids)
