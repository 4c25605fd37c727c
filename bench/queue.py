"""Queue, API list and sweep at scale (a benchmark, not a test).

    .venv/bin/python bench/queue.py [--cases 100000] [--postgres --pg-cases 1000000]

Fills a fresh database with open cases and their clocks, then measures server time for the
agent queue's first page and the API's case list (p50/p95 over repeated requests, and their
query counts), and the sweep marking 10,000 newly due clocks. The peer's figures, measured on
our machines with django-helpdesk 2.6.1 and 100,000 tickets, are printed beside ours.
"""

import sys
from pathlib import Path

# The issue names this file bench/queue.py. Run as a script, its folder comes first on the path
# and the file would shadow the standard library's queue module (Django's thread pools and
# concurrent.futures import it): put the project root there instead, before anything else.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

PEER = "django-helpdesk 2.6.1, 100,000 tickets: queue rows 1.1 s, REST list 16 s"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SUPPORTDESK_VAR", tempfile.mkdtemp(prefix="sd-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportdesk.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(n: int) -> None:
    """n open cases, each with a first-response and a restoration clock, due over a month."""
    from django.db import transaction

    from supportdesk.tickets.models import Case, SlaClock
    from tests.factories import make_world

    world = make_world()
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    batch = 5000
    for offset in range(0, n, batch):
        with transaction.atomic():
            cases = [
                Case(
                    subject=f"Case {i}",
                    organization=world.org,
                    contact=world.admin,
                    requester_address="ana@cliente-b.pt",
                    channel="email",
                    priority=("P1", "P2", "P3", "P4")[i % 4],
                    status=("new", "open", "waiting")[i % 3],
                    plan=world.plan,
                    covered=True,
                    coverage_code="covered",
                    coverage_param="Priority",
                    received_at=start + timedelta(seconds=i * 20),
                    updated_at=start,
                    next_due=start + timedelta(hours=4, seconds=i * 20),
                )
                for i in range(offset, min(n, offset + batch))
            ]
            Case.objects.bulk_create(cases)
            clocks = []
            for case in cases:
                for metric, hours in (("first_response", 4), ("restoration", 16)):
                    clocks.append(
                        SlaClock(
                            case=case,
                            metric=metric,
                            rule=f"{metric} {hours}h",
                            guaranteed=True,
                            calendar=world.calendar,
                            within=timedelta(hours=hours),
                            started_at=case.received_at,
                            due_at=case.received_at + timedelta(hours=hours + 48),
                        )
                    )
            SlaClock.objects.bulk_create(clocks)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would gather
        cursor.execute("ANALYZE")
    return world


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(n: int, label: str) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from supportdesk.tickets import services
    from supportdesk.tickets.models import SlaClock

    t = time.perf_counter()
    world = fill(n)
    print(f"[{label}] filled {n:,} open cases in {time.perf_counter() - t:.1f} s")
    client = Client()
    client.force_login(world.agent)
    for path in ("/desk/", "/api/cases?limit=50"):
        response = client.get(path)
        if response.status_code != 200:
            print(f"[{label}] {path}: HTTP {response.status_code}, skipped")
            continue
        reset_queries()  # each request clears the log at its start; begin from empty
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        statements = len(queries)  # read now: later requests clear the log
        p50, p95 = timed(lambda path=path: client.get(path), 50)
        print(
            f"[{label}] GET {path}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"{statements} queries (target p95 <= 30 ms)"
        )
    # Make 10,000 clocks newly due (every other clock is due later), then sweep them.
    ids = list(SlaClock.objects.order_by("id").values_list("id", flat=True)[:10000])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    SlaClock.objects.filter(id__in=ids).update(due_at=now - timedelta(minutes=1))
    t = time.perf_counter()
    swept = services.sweep(now=now)
    print(
        f"[{label}] sweep marked {swept:,} due clocks in {time.perf_counter() - t:.2f} s "
        "(target <= 2 s)"
    )
    print(f"[{label}] peer: {PEER}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL")
    parser.add_argument("--pg-cases", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.postgres:
        from tests.postgres_server import Server, _binaries

        server = Server(_binaries())
        try:
            setup_django(server.start())
            measure(args.pg_cases, "PostgreSQL")
        finally:
            server.stop()
    else:
        db = Path(tempfile.mkdtemp(prefix="sd-bench-")) / "bench.sqlite3"
        setup_django(f"sqlite:///{db}")
        measure(args.cases, "SQLite")


if __name__ == "__main__":
    main()
