from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from supportdesk.runtime.scheduler import mail_sender, phone_worker, scheduler, sms_sender


class Command(BaseCommand):
    help = "Run the background worker: queued tasks, SLA sweeps and outbound mail."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls")

    def handle(self, *args, interval: float, **options):
        loops = [
            scheduler(settings.SWEEP_INTERVAL_SECONDS),
            mail_sender(interval),
            sms_sender(interval),
            phone_worker(interval),
        ]
        for loop in loops:
            loop.start()
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=True,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for loop in loops:
                loop.stopped.set()
