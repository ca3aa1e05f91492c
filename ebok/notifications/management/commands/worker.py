"""`ebok worker`: runs background tasks (sending messages) from the database queue, and every
--schedule-every seconds the scheduled notifications. Start as many as you like on PostgreSQL (tasks are
claimed with SELECT … FOR UPDATE SKIP LOCKED); on SQLite one is enough."""

from __future__ import annotations

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from ebok.notifications.scheduled import run_scheduled


class Command(BaseCommand):
    help = "Run the background worker: send queued messages and run the scheduled notifications."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at the queue")
        parser.add_argument(
            "--schedule-every",
            type=float,
            default=60.0,
            help="seconds between runs of the scheduled notifications",
        )
        parser.add_argument("--no-schedule", action="store_true", help="only run queued tasks")
        parser.add_argument("--batch", action="store_true", help="run what is queued now, then stop")

    def handle(
        self, *args, interval: float, schedule_every: float, no_schedule: bool, batch: bool, **options
    ):
        # The queue is drained in short batches; their "starting / no more tasks" lines would fill the log.
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        self.stopping = False

        def stop(signum, frame):
            self.stopping = True
            worker.running = False

        worker = self._worker()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        self.stdout.write(f"EBOK worker {worker.worker_id} started")
        next_schedule = 0.0
        while not self.stopping:
            close_old_connections()
            if not no_schedule and time.monotonic() >= next_schedule:
                done = run_scheduled()
                if any(done.values()):
                    self.stdout.write(f"scheduled: {done}")
                next_schedule = time.monotonic() + schedule_every
            worker = self._worker()
            worker.run()
            if batch:
                break
            time.sleep(interval)
        self.stdout.write("EBOK worker stopped")

    @staticmethod
    def _worker() -> Worker:
        return Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
