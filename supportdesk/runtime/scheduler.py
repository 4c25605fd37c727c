"""Periodic work scheduled by the worker itself: no cron, no separate beat process."""

import logging
import threading

from django.db import close_old_connections
from django_tasks_db.models import DBTaskResult

from supportdesk.channels.email.tasks import poll_mailboxes
from supportdesk.tickets.tasks import send_outbox, sweep_clocks

log = logging.getLogger(__name__)

PERIODIC = (sweep_clocks, send_outbox, poll_mailboxes)


def enqueue_due() -> None:
    """Queue each periodic task unless one is already waiting: a slow worker never piles up."""
    for periodic in PERIODIC:
        if not DBTaskResult.objects.ready().filter(task_path=periodic.module_path).exists():
            periodic.enqueue()


class Scheduler(threading.Thread):
    def __init__(self, interval: float):
        super().__init__(name="supportdesk-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                enqueue_due()
            except Exception:  # the database may be briefly locked or away; try next round
                log.exception("could not schedule periodic tasks")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)
