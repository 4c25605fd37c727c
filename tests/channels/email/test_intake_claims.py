"""A stored message is delivered once, however many workers and MTA retries reach for it."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from supportdesk.channels.email import intake
from supportdesk.channels.email.models import InboundEmail, IntakeStatus
from supportdesk.tickets.models import Case
from tests.channels.email.conftest import build


def stuck(count: int) -> list[bytes]:
    """Messages stored ten minutes ago whose delivery never ran (a crash between the steps)."""
    raws = [build(subject=f"Servidor {i} em baixo") for i in range(count)]
    for raw in raws:
        intake.store(raw, now=timezone.now() - timedelta(minutes=10))
    return raws


def one_case_each(count: int) -> None:
    emails = InboundEmail.objects.all()
    assert emails.count() == count
    assert not emails.filter(case__isnull=True).exists()
    assert Case.objects.count() == count
    assert set(emails.values_list("status", flat=True)) == {IntakeStatus.NEW}


def race(*workers: Callable[[], object]) -> list[object]:
    results: list[object] = []
    barrier = threading.Barrier(len(workers))

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_deliver_each_stuck_message_once(world, mailboxes):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims are a PostgreSQL property; this runs in its pass")
    stuck(40)
    counts = race(intake.process_pending, intake.process_pending)
    assert sum(counts) == 40
    one_case_each(40)


@pytest.mark.django_db(transaction=True)
def test_a_sweep_racing_the_mtas_redelivery_delivers_each_message_once(world, mailboxes):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims are a PostgreSQL property; this runs in its pass")
    raws = stuck(40)
    outcomes: list[intake.Outcome] = []

    def redeliver() -> None:
        outcomes.extend(intake.receive(raw) for raw in raws)

    race(intake.process_pending, redeliver)
    one_case_each(40)
    # The MTA is told the message is stored; which worker delivered it does not matter to it.
    assert {o.status for o in outcomes} <= {IntakeStatus.NEW, IntakeStatus.RECEIVED}


@pytest.mark.django_db
def test_processing_a_message_again_does_not_open_a_second_case(world, mailboxes):
    (raw,) = stuck(1)
    email = InboundEmail.objects.get()
    first = intake.process(email)
    again = intake.process(InboundEmail.objects.get())  # a sweep working from an old list
    assert again == first and first.status == IntakeStatus.NEW
    assert intake.process_pending() == 0
    assert intake.receive(raw) == first
    one_case_each(1)


@pytest.mark.django_db
def test_a_message_another_worker_is_delivering_is_left_to_it(world, mailboxes):
    (raw,) = stuck(1)
    InboundEmail.objects.update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert intake.receive(raw) == intake.Outcome(
        IntakeStatus.RECEIVED, None, InboundEmail.objects.get().pk
    )
    assert intake.process_pending() == 0
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_delivery_that_died_is_retried_once_its_lease_ends(
    world, mailboxes, monkeypatch, settings
):
    settings.MAIL_INTAKE_LEASE_SECONDS = 300
    (raw,) = stuck(1)

    def killed(*args, **kwargs):
        raise SystemExit("the worker was killed mid-delivery")

    with monkeypatch.context() as patch:
        patch.setattr(intake, "_deliver", killed)
        with pytest.raises(SystemExit):
            intake.process_pending()
    assert intake.process_pending() == 0  # still the dead worker's
    assert intake.receive(raw).status == IntakeStatus.RECEIVED
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        assert intake.process_pending() == 1
    one_case_each(1)
