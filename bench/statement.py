"""A month's support-time statement for an organization with 10,000 entries in that month.

    .venv/bin/python bench/statement.py [--entries 10000] [--history-months 0] [--runs 7]

Builds a throwaway SQLite database under a temporary ``SUPPORTDESK_VAR``, seeds WebPlug's
Lisbon calendar (09:00-13:00, 14:00-18:00 on weekdays, Portuguese holidays), a plan billed in
15/30-minute blocks, an organization with a monthly pack, three single packs and 40 breach
credits, and ``--entries`` time entries of 25 agents in March 2026 (in and out of hours, one
in ten not billable). ``--history-months N`` adds as many entries in each of the N months
before March, which the March statement must replay for the packs' and credits' balances.

Times the whole statement as a user gets it (``build_statement`` + the JSON of the command):
database reads, cutting at opening/closing instants, rounding, drawing, balances. Prints the
cold run (kernel tables built) and the median of the warm runs. Target: <= 200 ms.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds queue.py, which would shadow the standard library's queue module.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
TARGET_MS = 200
PEER = (
    "peers: django-helpdesk keeps a per-follow-up time_spent and sums it; neither it nor the "
    "big help desks round to blocks, draw packs or credits, or price overage: no figure to compare"
)


def setup(var: str) -> None:
    os.environ["SUPPORTDESK_VAR"] = var
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportdesk.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    import django

    warnings.filterwarnings("ignore")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def seed(entries: int, history_months: int, seed_value: int = 6) -> object:
    from supportdesk.accounts.models import Agent, Organization, User
    from supportdesk.billing.choices import PackKind
    from supportdesk.billing.models import BreachCredit, HourPack, TimeEntry
    from supportdesk.plans.models import BusinessCalendar, Contract, Plan
    from supportdesk.tickets.models import Case

    rng = random.Random(seed_value)
    weekdays = {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    calendar = BusinessCalendar.objects.create(
        slug="pt-lisbon", timezone="Europe/Lisbon", country="PT", weekly=weekdays
    )
    plan = Plan.objects.create(
        slug="priority",
        name="Priority",
        calendar=calendar,
        currency="EUR",
        rate_in_hours=Decimal("60.00"),
        rate_out_of_hours=Decimal("90.00"),
        breach_credit_hours=Decimal(1),
    )
    org = Organization.objects.create(slug="cliente-b", name="Cliente B, Lda.")
    Contract.objects.create(organization=org, plan=plan, start=date(2024, 1, 1))
    agents = []
    for n in range(25):
        user = User.objects.create(email=f"agent{n}@webplug.example", name=f"Agent {n}")
        Agent.objects.create(user=user, level="L1")
        agents.append(user)
    now = datetime(2026, 6, 1, tzinfo=UTC)

    def case(reference: str) -> Case:
        return Case.objects.create(
            reference=reference,
            subject="Servidor",
            organization=org,
            channel="email",
            priority="P2",
            status="open",
            coverage_code="covered",
            received_at=now,
            updated_at=now,
        )

    cases = [case(f"WP-{n}") for n in range(200)]
    HourPack.objects.create(
        organization=org, kind=PackKind.MONTHLY, hours=Decimal(40), start_month=date(2025, 1, 1)
    )
    for purchased in (date(2025, 4, 10), date(2025, 11, 3), date(2026, 3, 15)):
        HourPack.objects.create(
            organization=org, kind=PackKind.SINGLE, hours=Decimal(50), purchased=purchased
        )
    for n in range(40):
        BreachCredit.objects.create(
            case=case(f"B-{n}"),
            organization=org,
            hours=Decimal(1),
            granted_at=datetime(2025, 12, 1, tzinfo=UTC) + timedelta(hours=53 * n),
        )
    rows = []
    first = date(2026, 3, 1)
    months = [first]
    for _ in range(history_months):
        months.insert(
            0, date(months[0].year - (months[0].month == 1), (months[0].month - 2) % 12 + 1, 1)
        )
    for month in months:
        start = datetime(month.year, month.month, 1, tzinfo=UTC)
        span = 28 * 24 * 60  # minutes the month's entries are spread over
        per_agent = entries // len(agents)
        for a, agent in enumerate(agents):
            slot = span // per_agent
            for k in range(per_agent + (a < entries % len(agents))):
                begin = start + timedelta(minutes=k * slot + rng.randrange(0, slot // 3))
                length = rng.randrange(0, slot * 2 // 3)
                rows.append(
                    TimeEntry(
                        case=rng.choice(cases),
                        organization=org,
                        agent=agent,
                        start=begin,
                        end=begin + timedelta(minutes=length),
                        billable=rng.random() > 0.1,
                        source="typed",
                        created_at=now,
                    )
                )
    TimeEntry.objects.bulk_create(rows, batch_size=2000)
    return org


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--history-months", type=int, default=0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        setup(var)
        org = seed(args.entries, args.history_months)
        from supportdesk.billing.models import TimeEntry
        from supportdesk.billing.render import as_dict
        from supportdesk.billing.statement import build_statement
        from supportdesk.plans import models as plan_models

        month = date(2026, 3, 1)
        total = TimeEntry.objects.filter(organization=org).count()

        def once() -> tuple[float, float, object]:
            t0, c0 = time.perf_counter(), time.process_time()
            statement = build_statement(org, month)
            as_dict(statement)
            wall = (time.perf_counter() - t0) * 1000
            return wall, (time.process_time() - c0) * 1000, statement

        plan_models._kernels.clear()
        cold, _cpu, statement = once()
        runs = [once() for _ in range(args.runs)]
        warm = [r[0] for r in runs]
        median = statistics.median(warm)
        cpu = statistics.median(r[1] for r in runs)
        print(
            f"organization with {total} entries; March 2026 statement: "
            f"{len(statement.entries)} entries; {args.history_months} earlier months of as many"
        )
        print(
            f"billed {statement.billed_in_minutes} min in hours + {statement.billed_out_minutes} "
            f"min outside; drawn monthly {statement.drawn_monthly}, single "
            f"{statement.drawn_single}, credit {statement.drawn_credit}; overage "
            f"{statement.overage_amount} {statement.currency}"
        )
        print(
            f"statement: cold {cold:.1f} ms, warm median {median:.1f} ms "
            f"(min {min(warm):.1f}, max {max(warm):.1f}; CPU median {cpu:.1f} ms) over "
            f"{args.runs} runs; target <= {TARGET_MS} ms: "
            f"{'met' if median <= TARGET_MS else 'MISSED'}"
        )
        print(PEER)


if __name__ == "__main__":
    main()
