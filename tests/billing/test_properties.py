"""Random calendars, entries, packs and credits: the statement must agree with the oracle to
the minute and the cent, through the database, the kernel and the engine."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.accounts.models import Agent, Organization, User
from supportdesk.billing.choices import PackKind
from supportdesk.billing.models import BreachCredit, HourPack, TimeEntry
from supportdesk.billing.periods import IsoClock
from supportdesk.billing.render import as_dict
from supportdesk.billing.statement import build_statement, minutes_of_hours
from supportdesk.plans import models as plan_models
from supportdesk.plans.models import BusinessCalendar, Contract, Plan
from supportdesk.tickets.models import Case
from tests.billing import oracle

pytestmark = pytest.mark.django_db

ZONES = [
    "Europe/Lisbon",
    "Europe/Warsaw",
    "America/Sao_Paulo",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kolkata",
    "UTC",
]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_MINUTES = 120 * 24 * 60  # January to April 2026: DST changes north and south
HOURS = [Decimal(h) for h in ("0.25", "0.33", "0.5", "1", "1.5", "2", "3.75", "10", "0.01")]


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def spans(draw) -> list[tuple[int, int]]:
    """0-3 sorted, disjoint intervals of a day in minutes; sometimes the whole day."""
    if draw(st.integers(0, 9)) == 0:
        return [(0, 1440)]
    step = draw(st.sampled_from([1, 5, 15, 30, 60]))
    points = sorted(set(draw(st.lists(st.integers(0, 1440 // step), min_size=0, max_size=6))))
    pairs = [(points[i] * step, points[i + 1] * step) for i in range(0, len(points) - 1, 2)]
    return [(a, b) for a, b in pairs if a < b]


@st.composite
def calendars(draw):
    weekly = {i: draw(spans()) for i in range(7)}
    days = st.integers(0, 119).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
    holidays = set(draw(st.lists(days, max_size=4)))
    exceptions = {d: draw(spans()) for d in draw(st.lists(days, max_size=3, unique=True))}
    return oracle.Rules(
        zone=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        holidays=holidays,
        exceptions=exceptions,
        block_in=draw(st.sampled_from([1, 5, 10, 15, 30, 60])),
        block_out=draw(st.sampled_from([1, 15, 20, 30, 60])),
        rate_in=Decimal(draw(st.integers(0, 20000))) / 100,
        rate_out=Decimal(draw(st.integers(0, 30000))) / 100,
    )


@st.composite
def agent_entries(draw, agent: int, first_id: int) -> list[tuple[int, oracle.Entry]]:
    """One agent's entries: non-overlapping by construction (gaps may be zero)."""
    t = draw(st.integers(0, WINDOW_MINUTES // 2))
    out = []
    for n in range(draw(st.integers(0, 8))):
        t += draw(st.integers(0, 6000))
        length = draw(st.one_of(st.integers(0, 240), st.integers(0, 3000)))
        if t + length >= WINDOW_MINUTES:
            break
        start = WINDOW + timedelta(minutes=t)
        out.append(
            (
                agent,
                oracle.Entry(
                    first_id + n, start, start + timedelta(minutes=length), draw(st.booleans())
                ),
            )
        )
        t += length
    return out


@st.composite
def worlds(draw):
    rules = draw(calendars())
    entries = draw(agent_entries(0, 1)) + draw(agent_entries(1, 100))
    purchase = st.integers(0, 480).map(lambda n: date(2025, 1, 1) + timedelta(days=n))
    singles = [
        oracle.Single(i + 1, draw(purchase), draw(st.sampled_from(HOURS)))
        for i in range(draw(st.integers(0, 3)))
    ]
    months = st.sampled_from([date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 5)])
    monthlies = []
    for i in range(draw(st.integers(0, 2))):
        first = draw(months)
        last = draw(st.one_of(st.none(), months.filter(lambda m, f=first: m >= f)))
        monthlies.append(oracle.Monthly(i + 1, first, last, draw(st.sampled_from(HOURS))))
    granted = st.integers(0, WINDOW_MINUTES * 60).map(lambda s: WINDOW + timedelta(seconds=s))
    credits = [
        oracle.Credit(i + 1, draw(granted), draw(st.sampled_from(HOURS[:6])))
        for i in range(draw(st.integers(0, 3)))
    ]
    target = draw(st.sampled_from([(2026, 1), (2026, 2), (2026, 3), (2026, 4)]))
    return rules, entries, singles, monthlies, credits, target


def _spans_text(spans: list[tuple[int, int]]) -> list[str]:
    return [f"{clock(a)}-{clock(b)}" for a, b in spans]


def _store(rules, entries, singles, monthlies, credits):
    """Write the example through the models (entries bypass the services: the generator already
    keeps them apart, and the services have their own tests)."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    calendar = BusinessCalendar.objects.create(
        slug="random",
        timezone=rules.zone,
        weekly={DAYS[i]: _spans_text(s) for i, s in rules.weekly.items() if s},
        holidays=sorted(d.isoformat() for d in rules.holidays),
        exceptions={d.isoformat(): _spans_text(s) for d, s in rules.exceptions.items()},
    )
    plan = Plan.objects.create(
        slug="random",
        name="Random",
        calendar=calendar,
        block_in_hours=timedelta(minutes=rules.block_in),
        block_out_of_hours=timedelta(minutes=rules.block_out),
        rate_in_hours=rules.rate_in,
        rate_out_of_hours=rules.rate_out,
        currency="EUR",
    )
    org = Organization.objects.create(slug="org", name="Org")
    Contract.objects.create(organization=org, plan=plan, start=date(2020, 1, 1))
    agents = []
    for n in range(2):
        user = User.objects.create(email=f"agent{n}@example.com")
        Agent.objects.create(user=user, level="L1")
        agents.append(user)

    def case(reference: str) -> Case:
        return Case.objects.create(
            reference=reference,
            subject="x",
            organization=org,
            channel="web",
            priority="P3",
            status="open",
            coverage_code="covered",
            received_at=now,
            updated_at=now,
        )

    work = case("W-1")
    TimeEntry.objects.bulk_create(
        TimeEntry(
            id=e.id,
            case=work,
            organization=org,
            agent=agents[a],
            start=e.start,
            end=e.end,
            billable=e.billable,
            source="typed",
            created_at=now,
        )
        for a, e in entries
    )
    for s in singles:
        HourPack.objects.create(
            id=s.id, organization=org, kind=PackKind.SINGLE, hours=s.hours, purchased=s.purchased
        )
    for m in monthlies:
        HourPack.objects.create(
            id=100 + m.id,
            organization=org,
            kind=PackKind.MONTHLY,
            hours=m.hours,
            start_month=m.first,
            end_month=m.last,
        )
    for c in credits:
        BreachCredit.objects.create(
            id=c.id, case=case(f"B-{c.id}"), organization=org, hours=c.hours, granted_at=c.granted
        )
    return org


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(worlds())
def test_statement_agrees_with_the_oracle(db, example):
    rules, entries, singles, monthlies, credits, target = example
    plan_models._kernels.clear()  # primary keys are reused after each rollback
    saved = transaction.savepoint()
    try:
        org = _store(rules, entries, singles, monthlies, credits)
        statement = build_statement(org, date(target[0], target[1], 1))
    finally:
        transaction.savepoint_rollback(saved)
    expected = oracle.bill(rules, [e for _, e in entries], singles, monthlies, credits, target)
    got_lines = [
        (
            e.id,
            e.in_hours_minutes,
            e.out_of_hours_minutes,
            e.billed_in_hours_minutes,
            e.billed_out_of_hours_minutes,
            e.billable,
        )
        for e in statement.entries
    ]
    assert got_lines == expected.lines
    assert (statement.drawn_monthly, statement.drawn_single, statement.drawn_credit) == (
        expected.monthly,
        expected.single,
        expected.credit,
    )
    assert (statement.overage_in_minutes, statement.overage_out_minutes) == (
        expected.over_in,
        expected.over_out,
    )
    assert statement.overage_amount == expected.amount
    assert as_dict(statement)["overage"]["amount"] == str(expected.amount)
    assert [(b.purchased, b.expires, b.minutes_left) for b in statement.balances] == (
        expected.balances
    )
    assert [(b.purchased, b.expires, b.minutes_left) for b in statement.lapsed_singles] == (
        expected.lapsed_single
    )
    assert statement.credit_minutes_left == expected.credit_left
    assert statement.lapsed_monthly_minutes == expected.lapsed_monthly


def test_hours_become_whole_minutes_rounding_up():
    assert [minutes_of_hours(h) for h in HOURS] == [oracle.whole_minutes(h) for h in HOURS]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([*ZONES, "America/St_Johns", "Asia/Kathmandu"]),
    st.integers(0, 40 * 24 * 3600),
    st.integers(-(3 * 365 * 24 * 3600), 3 * 365 * 24 * 3600),
)
def test_iso_text_of_instants_is_what_datetime_writes(zone_name, offset, origin):
    """The statement's fast ISO writer against ``datetime.isoformat`` across DST changes."""
    zone = ZoneInfo(zone_name)
    lo = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp()) + origin
    clock = IsoClock(zone, lo, lo + 40 * 24 * 3600)
    t = lo + offset
    assert clock(t) == datetime.fromtimestamp(t, zone).isoformat()
