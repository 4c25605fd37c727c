import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the desk under gunicorn with the background worker beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_WORKERS", (os.cpu_count() or 1) + 1)),
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "1")))
        parser.add_argument("--no-worker", action="store_true", help="serve the web only")

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        """Processes rather than threads by default: one thread per process keeps the GIL out
        of the way while a request holds SQLite's write lock. One process more than the cores:
        the desk's requests spend their time computing, not waiting, and more processes than
        that only take turns on the cores, pausing whichever holds the write lock (on 2 cores,
        3 processes answered the phone webhooks' p95 in 14-17 ms where 4 took 18-22 ms and 6
        took 22-25; ``bench/voice.py``). Each takes a connection only while its thread is free
        (``gunicorn_worker``)."""
        from supportdesk.world.demo import demo_logins

        call_command("collectstatic", interactive=False, verbosity=0)
        web = [
            sys.executable, "-m", "gunicorn", "supportdesk.wsgi",
            "--config", "python:supportdesk.runtime.gunicorn_conf",
            "--bind", f"{host}:{port}", "--workers", str(workers),
            "--worker-class", "supportdesk.runtime.gunicorn_worker.FreeThreadWorker",
            "--threads", str(threads),
            "--limit-request-line", "8190",
            "--control-socket", str(settings.VAR_DIR / "gunicorn.ctl"),
            "--graceful-timeout", "5",
        ]  # fmt: skip
        if settings.ACCESS_LOG:  # off by default: the proxy in front usually keeps it
            web += ["--access-logfile", "-"]
        children = [subprocess.Popen(web)]
        if not no_worker:
            children.append(subprocess.Popen([sys.executable, "-m", "supportdesk.cli", "worker"]))
        self.stdout.write(f"Supportdesk is at http://{host}:{port}/  (Ctrl-C stops it)")
        for line in demo_logins():
            self.stdout.write(f"  {line}")

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop(None, None)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [child.returncode for child in children]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            sys.exit(1)
