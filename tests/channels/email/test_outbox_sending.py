"""Sending the outbox: no transaction is held while a mail server talks, each message is sent
once however many workers send, and a claim left by a crashed sender is retried after its lease.
"""

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections
from django.utils import timezone

from supportdesk.channels.email import sending
from supportdesk.runtime.scheduler import mail_sender
from supportdesk.tickets import outbox, services
from supportdesk.tickets.choices import OutboxStatus
from supportdesk.tickets.models import OutboundMessage
from tests.channels.email.conftest import Sink, _free_port
from tests.factories import make_world


class SlowSink(Sink):
    """A mail server that takes ``delay`` seconds to accept each message."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.started = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.started.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def _serve(sink: Sink, settings) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    return controller


@pytest.fixture
def file_database(transactional_db, tmp_path) -> Iterator[None]:
    """The test database as a SQLite file, as the desk runs: an in-memory test database locks
    differently (a shared cache fails at once instead of waiting), so the write lock the
    customer's new case waits for is only real on a file."""
    if connection.vendor != "sqlite":
        pytest.skip("the single writer's lock is SQLite's; PostgreSQL locks rows")
    connection.ensure_connection()
    path = tmp_path / "desk.sqlite3"
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    target.close()
    memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None  # kept aside: closing it would drop the in-memory database
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


def _queue(n: int, at) -> list[str]:
    items = [
        outbox.queue(None, to=f"user{i}@cliente-b.pt", subject=f"Aviso {i}", body="!", at=at)
        for i in range(n)
    ]
    return [item.headers["Message-ID"] for item in items]


def _delivered(sink: Sink) -> list[str]:
    return [
        message_from_bytes(data, policy=policy.default)["Message-ID"] for *_, data in sink.received
    ]


def test_a_new_case_is_not_kept_waiting_while_a_slow_server_takes_the_mail(file_database, settings):
    world = make_world()
    _queue(8, timezone.now())
    sink = SlowSink(delay=0.5)
    controller = _serve(sink, settings)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            sending.send_pending()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert sink.started.wait(5)
        started = time.monotonic()
        case = services.open_case(
            subject="Sem acesso", body="O portal não abre.", channel="web", contact=world.admin
        )
        waited = time.monotonic() - started
    finally:
        sender.join(30)
        controller.stop()
    assert case.pk and waited < 1.5
    assert not errors and len(sink.received) == 8
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_the_worker_drains_a_long_queue_and_sends_new_mail_within_a_moment(file_database, settings):
    """More than one old sweep's worth (100) goes out in one go, and mail queued while the
    worker idles leaves within a poll interval or two, not at the next sweep."""
    backlog = _queue(250, timezone.now())
    sink = Sink()
    controller = _serve(sink, settings)
    sender = mail_sender(interval=0.1)
    sender.start()
    try:
        deadline = time.monotonic() + 20
        while len(sink.received) < 250 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(_delivered(sink)) == sorted(backlog)
        (late,) = _queue(1, timezone.now())
        queued_at = time.monotonic()
        while len(sink.received) < 251 and time.monotonic() < queued_at + 5:
            time.sleep(0.01)
        assert _delivered(sink)[-1] == late and time.monotonic() - queued_at < 1
    finally:
        sender.stopped.set()
        sender.join(10)
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_message_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims are a PostgreSQL property; this runs in its pass")
    make_world()
    queued = _queue(60, timezone.now())
    sink = SlowSink(delay=0.01)  # each conversation long enough for the two to overlap
    controller = _serve(sink, settings)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(sending.send_pending())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    controller.stop()
    assert sum(counts) == 60 and min(counts) > 0  # both sent, neither twice
    assert sorted(_delivered(sink)) == sorted(queued)
    assert not OutboundMessage.objects.exclude(status=OutboxStatus.SENT).exists()
    assert set(OutboundMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_claim_left_by_a_crashed_sender_is_retried_after_its_lease(
    world, smtp_sink, settings, monkeypatch
):
    settings.MAIL_SEND_LEASE_SECONDS = 300
    now = timezone.now()
    (message_id,) = _queue(1, now)

    def crash(*args, **kwargs):
        raise SystemExit("the worker was killed mid-conversation")

    with monkeypatch.context() as patch:
        patch.setattr(sending, "_transmit", crash)
        with pytest.raises(SystemExit):
            sending.send_pending(now)
    item = OutboundMessage.objects.get()
    assert item.status == OutboxStatus.PENDING and item.attempts == 1
    assert sending.send_pending(now + timedelta(seconds=299)) == 0  # still another's claim
    assert sending.send_pending(now + timedelta(seconds=301)) == 1
    assert _delivered(smtp_sink) == [message_id]
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT and item.attempts == 2


@pytest.mark.django_db
def test_a_server_that_cannot_be_reached_ends_the_round_without_spending_other_attempts(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    now = timezone.now()
    _queue(3, now)
    assert sending.send_pending(now) == 0
    attempts = sorted(OutboundMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]
    assert OutboundMessage.objects.filter(status=OutboxStatus.PENDING).count() == 3
