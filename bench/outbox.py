"""Outbound mail from the worker to a local SMTP server (a benchmark, not a test).

    .venv/bin/python bench/outbox.py [--messages 3000] [--crash-messages 1500]

A fresh SQLite desk (a file in WAL mode, as it runs embedded), an aiosmtpd server in this
process, and ``supportdesk worker`` as a process of its own, as in production.

1. Rate: ``--messages`` replies of about 1 KB are queued, then the worker is started; the rate
   is taken between the first and the last delivery (the worker's start-up is not counted).
   Target: >= 50 messages/s. Before, the outbox went out through a periodic task, 100 messages
   per 15-second sweep: that rate is printed as the baseline (no peer publishes a figure).
2. No write lock while sending: during the drain this process opens a web case every 50 ms
   through ``services.open_case`` and times it; and while the worker waits for the server's
   answer to every 20th message, the server tries a write of its own (200 ms busy timeout,
   after taking this process's writers' queue, so only another process can be in the way).
   A sender holding the database across the conversation would fail every such probe.
3. ``kill -9``: ``--crash-messages`` more are queued, the worker is killed with SIGKILL once a
   third are delivered and started again (with a 2-second lease, so the message it held
   is retried at once). Lost: queued Message-IDs never delivered. Duplicates: the message in
   flight at the kill may go twice (at-least-once, as every mail server does).
"""

import argparse
import logging
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds queue.py, which would shadow the standard library's queue module.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

TARGET = 50.0
BASELINE = 100 / 15
LEASE_SECONDS = 2
PROBE_EVERY = 20
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
BODY = (
    "Olá Ana,\n\nreiniciámos o servidor de correio e as mensagens voltaram a sair. Se o "
    "problema voltar, responda a esta mensagem e mantenha a referência no assunto.\n\n" * 4
)


class Sink:
    """Counts what arrives by Message-ID; probes the database while a sender waits on it."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.delivered: list[bytes] = []
        self.probes = self.locked = 0
        self.lock = threading.Lock()

    def _probe(self) -> None:
        from supportdesk.db import _mutex

        with _mutex:  # this process's own writers stand aside
            db = sqlite3.connect(self.database, timeout=0.2, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
            except sqlite3.OperationalError:
                self.locked += 1
            finally:
                db.close()
        self.probes += 1

    async def handle_DATA(self, server, session, envelope):
        match = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.delivered.append(match[1] if match else b"")
            count = len(self.delivered)
        if count % PROBE_EVERY == 0:
            self._probe()
        return "250 Message accepted"

    def count(self, wanted: set[bytes]) -> int:
        with self.lock:
            return sum(1 for mid in self.delivered if mid in wanted)


def setup_django(var: str) -> str:
    database = f"{var}/bench.sqlite3"
    os.environ.update(
        DATABASE_URL=f"sqlite:///{database}",
        SUPPORTDESK_VAR=var,
        DJANGO_SETTINGS_MODULE="supportdesk.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    return database


def queue(n: int, tag: str) -> set[bytes]:
    from django.db import transaction
    from django.utils import timezone

    from supportdesk.tickets import outbox

    now = timezone.now()
    with transaction.atomic():
        items = [
            outbox.queue(
                None,
                to=f"cliente{i % 300}@cliente-b.pt",
                subject=f"[{tag}-{i}] Re: Correio",
                body=BODY,
                at=now,
            )
            for i in range(n)
        ]
    return {item.headers["Message-ID"].encode() for item in items}


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "supportdesk.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class CaseOpener(threading.Thread):
    """Opens a web case every 50 ms, as customers would, timing each."""

    def __init__(self, contact) -> None:
        super().__init__(daemon=True)
        self.contact = contact
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import connections

        from supportdesk.tickets import services

        try:
            while not self.stopped.is_set():
                started = time.perf_counter()
                try:
                    services.open_case(
                        subject="O portal não abre",
                        body="Desde as 9h.",
                        channel="web",
                        contact=self.contact,
                    )
                except Exception as exc:  # counted and printed: the figure this measures
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                else:
                    self.latencies.append(time.perf_counter() - started)
                self.stopped.wait(0.05)
        finally:
            connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--crash-messages", type=int, default=1500)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="sd-bench-outbox-")
    database = setup_django(var)

    from aiosmtpd.controller import Controller

    from supportdesk.channels.email.models import Mailbox
    from tests.factories import make_world

    world = make_world()
    Mailbox.objects.create(address="support@webplug.example", is_default=True)
    sink = Sink(database)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "MAIL_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }

    # 1 and 2: the rate, with customers opening cases meanwhile
    wanted = queue(args.messages, "R")
    opener = CaseOpener(world.admin)
    worker = start_worker(env)
    while sink.count(wanted) == 0 and worker.poll() is None:
        time.sleep(0.002)
    first = time.perf_counter()
    opener.start()
    while sink.count(wanted) < len(wanted) and worker.poll() is None:
        time.sleep(0.002)
    last = time.perf_counter()
    opener.stopped.set()
    opener.join()
    stop(worker)
    rate = (sink.count(wanted) - 1) / (last - first)

    # 3: kill -9 mid-drain, start again, count what arrived
    before = len(sink.delivered)
    crash = queue(args.crash_messages, "K")
    worker = start_worker(env)
    while sink.count(crash) < len(crash) // 3 and worker.poll() is None:
        time.sleep(0.001)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    at_kill = sink.count(crash)
    worker = start_worker(env)
    deadline = time.monotonic() + 120
    while len(crash - set(sink.delivered)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(LEASE_SECONDS)  # anything still to arrive twice arrives now
    stop(worker)
    controller.stop()
    arrived = sink.delivered[before:]
    lost = len(crash - set(arrived))
    duplicates = sum(1 for mid in arrived if mid in crash) - len(crash & set(arrived))

    print(f"outbox to a local aiosmtpd on SQLite (WAL), {os.cpu_count()} CPUs, worker process")
    print(
        f"  {args.messages} messages: {rate:.0f} messages/s "
        f"({(last - first) * 1000 / args.messages:.1f} ms each), target >= {TARGET:.0f}/s"
    )
    print(f"  before: 100 per 15-second sweep = {BASELINE:.1f} messages/s")
    ms = sorted(x * 1000 for x in opener.latencies)
    if ms:
        p95, p99 = (ms[min(len(ms) - 1, int(len(ms) * q))] for q in (0.95, 0.99))
        print(
            f"  open_case while sending: {len(ms)} cases, p50 {statistics.median(ms):.1f} ms, "
            f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms, "
            f"{len(opener.failures)} failed"
        )
    for failure in sorted(set(opener.failures))[:3]:
        print(f"    {failure}")
    print(
        f"  write probes during SMTP conversations: {sink.locked} of {sink.probes} found the "
        "database locked"
    )
    print(
        f"  kill -9 after {at_kill} of {len(crash)} delivered, restarted: {lost} lost, "
        f"{duplicates} sent twice"
    )
    print("  peers: none publishes an outbound mail rate; the baseline above is ours before")
    if rate < TARGET or lost or opener.failures or sink.locked:
        sys.exit(1)


if __name__ == "__main__":
    main()
