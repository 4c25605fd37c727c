"""Work the worker does by itself, beside the queued tasks: no cron, no separate beat process.

Periodic tasks (SLA sweeps, IMAP polls, texts left unfinished) are queued every
``SWEEP_INTERVAL_SECONDS``. The outbox has threads of its own, one for mail and one for texts,
that send while there is something to send and look for more every poll interval, so a
message goes out within a moment of being queued and a long queue of it never holds up a sweep
(nor a slow carrier the mail).
"""

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections
from django_tasks_db.models import DBTaskResult

from supportdesk.channels.email.sending import send_pending
from supportdesk.channels.email.tasks import poll_mailboxes
from supportdesk.channels.sms import sending as sms_sending
from supportdesk.channels.sms.tasks import finish_texts
from supportdesk.channels.voice.worker import work as phone_work
from supportdesk.field.tasks import remind_contract_ends
from supportdesk.tickets.tasks import sweep_clocks

log = logging.getLogger(__name__)

PERIODIC = (sweep_clocks, poll_mailboxes, finish_texts, remind_contract_ends)


def enqueue_due() -> None:
    """Queue each periodic task unless one is already waiting: a slow worker never piles up."""
    for periodic in PERIODIC:
        if not DBTaskResult.objects.ready().filter(task_path=periodic.module_path).exists():
            periodic.enqueue()


class Loop(threading.Thread):
    """Runs ``work`` again and again, ``interval`` seconds apart, until stopped."""

    def __init__(self, name: str, work: Callable[[], object], interval: float):
        super().__init__(name=name, daemon=True)
        self.work = work
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.work()
            except Exception:  # the database may be briefly locked or away; try next round
                log.exception("%s: this round failed", self.name)
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)


def scheduler(interval: float) -> Loop:
    return Loop("supportdesk-scheduler", enqueue_due, interval)


def mail_sender(interval: float) -> Loop:
    return Loop("supportdesk-mail", send_pending, interval)


def sms_sender(interval: float) -> Loop:
    return Loop("supportdesk-sms", sms_sending.send_pending, interval)


def phone_worker(interval: float) -> Loop:
    return Loop("supportdesk-phone", phone_work, interval)
