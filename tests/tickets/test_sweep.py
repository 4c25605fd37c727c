"""The sweep at work: index-driven, and safe with several workers at once on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from supportdesk.billing.models import BreachCredit
from supportdesk.tickets import services
from supportdesk.tickets.models import Event, SlaClock


def open_cases(world, n: int) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for i in range(n):
        services.open_case(subject=f"Caso {i}", body="!", channel="web", contact=world.admin,
                           at=start + timedelta(minutes=i))  # fmt: skip


@pytest.mark.django_db
def test_sweep_query_uses_the_partial_index(world):
    if connection.vendor != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    open_cases(world, 3)
    due = SlaClock.objects.filter(
        guaranteed=True,
        met_at__isnull=True,
        breached_at__isnull=True,
        paused_since__isnull=True,
        due_at__lte=datetime(2027, 1, 1, tzinfo=UTC),
    ).order_by("due_at")
    sql, params = due.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "clock_sweep" in plan


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_breach_each_clock_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED concurrency is a PostgreSQL property; this runs in its pass")
    open_cases(world, 60)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    counts: list[int] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(services.sweep(now=now, batch=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 120  # 60 cases x (first response + restoration)
    assert Event.objects.filter(kind="clock_breached").count() == 120
    assert BreachCredit.objects.count() == 60
    assert not SlaClock.objects.filter(breached_at__isnull=True).exists()
