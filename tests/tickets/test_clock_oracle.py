"""Random case histories replayed through the services against a minute-walk model of the clocks.

The model is written from the plan's rules alone, in another style (it keeps the pauses as
intervals and walks minutes; it shares no code with ``supportdesk.tickets.clocks`` or
``supportdesk.sla``); the calendar's minutes come from the kernel tests' ``MinuteOracle``.

The rules, as a customer reads them in the test plan (tests/factories.py): first response within
4 business hours, met by the first public reply; restoration within 16 business hours, or 4 hours
around the clock at P1, paused while the case waits on the customer (when the plan says so) and
while it is resolved, met by resolution. A clock is due at its start plus its target plus the
time paused, all counted on its calendar; a met clock reports the due it was met against. A
guaranteed clock is breached at its due instant if it runs past it, or at the instant a priority
change leaves it overdue; the case earns its credit at its first breach.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from supportdesk.billing.models import BreachCredit
from supportdesk.tickets import services
from tests.sla.oracle import DAY_NAMES, MinuteOracle

pytestmark = pytest.mark.django_db

WEEKLY = {day: [("09:00", "13:00"), ("14:00", "18:00")] for day in DAY_NAMES[:5]}
# Cases arrive from 23 March to 5 April 2026: Lisbon moves to summer time on 29 March and
# Good Friday (3 April) is a public holiday.
WINDOW = datetime(2026, 3, 16, tzinfo=UTC)
FIRST_ARRIVAL, ARRIVALS = WINDOW + timedelta(days=7), 14 * 24 * 60
WINDOW_MINUTES = 80 * 24 * 60
PAUSING, MEETING = ("waiting", "resolved", "closed"), ("resolved", "closed")


@cache
def business() -> MinuteOracle:
    return MinuteOracle("Europe/Lisbon", WEEKLY, WINDOW, WINDOW_MINUTES, country="PT")


@cache
def around_the_clock() -> MinuteOracle:
    always = {day: [("00:00", "24:00")] for day in DAY_NAMES}
    return MinuteOracle("UTC", always, WINDOW, WINDOW_MINUTES)


def restoration_target(priority: str) -> tuple[MinuteOracle, int]:
    return (around_the_clock(), 4 * 60) if priority == "P1" else (business(), 16 * 60)


@dataclass
class ModelClock:
    received: datetime
    calendar: MinuteOracle
    minutes: int
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    paused_since: datetime | None = None
    met_at: datetime | None = None
    met_due: datetime | None = None
    breached_at: datetime | None = None

    def due(self, counting_pause_until: datetime | None = None) -> datetime:
        """Start + target + the working time of every pause, walked on the clock's calendar."""
        pauses = list(self.pauses)
        if counting_pause_until is not None and self.paused_since is not None:
            pauses.append((self.paused_since, counting_pause_until))
        paused = sum(self.calendar.between(a, b) // timedelta(minutes=1) for a, b in pauses)
        return self.calendar.add(self.received, self.minutes + paused)

    @property
    def running(self) -> bool:
        return self.met_at is None and self.paused_since is None

    def reported(self) -> tuple[datetime | None, datetime | None, datetime | None]:
        due = self.met_due if self.met_at else (None if self.paused_since else self.due())
        return due, self.met_at, self.breached_at

    def meet(self, at: datetime) -> None:
        self.met_due, self.met_at = self.due(counting_pause_until=at), at


class ModelCase:
    def __init__(self, received: datetime, priority: str, pause_when_waiting: bool):
        self.status, self.priority, self.pause_when_waiting = "new", priority, pause_when_waiting
        self.first = ModelClock(received, business(), 4 * 60)
        self.restoration = ModelClock(received, *restoration_target(priority))

    def settle(self, at: datetime) -> None:
        for clock in (self.first, self.restoration):
            if clock.running and clock.breached_at is None and clock.due() <= at:
                clock.breached_at = clock.due()

    def apply(self, kind: str, value, at: datetime) -> None:
        if kind == "status" and value != self.status:
            self.settle(at)
            self.move_to(value, at)
        elif kind == "priority" and value != self.priority:
            self.settle(at)
            self.retarget(value, at)
        elif kind == "reply":
            self.settle(at)
            if value:  # public
                if self.first.met_at is None:
                    self.first.meet(at)
                if self.status == "new":
                    self.move_to("open", at)
        elif kind == "customer":
            self.settle(at)
            if self.status in ("waiting", "resolved"):
                self.move_to("open", at)
        elif kind == "sweep":
            self.settle(at)

    def pauses_in(self, status: str) -> bool:
        return status in MEETING or (status == "waiting" and self.pause_when_waiting)

    def move_to(self, status: str, at: datetime) -> None:
        clock = self.restoration
        if status in MEETING and clock.met_at is None:
            clock.meet(at)
        elif status not in MEETING:
            clock.met_at = clock.met_due = None
        if self.pauses_in(status) and clock.paused_since is None:
            clock.paused_since = at
        elif not self.pauses_in(status) and clock.paused_since is not None:
            clock.pauses.append((clock.paused_since, at))
            clock.paused_since = None
        self.status = status

    def retarget(self, priority: str, at: datetime) -> None:
        clock = self.restoration
        target = restoration_target(priority)
        self.priority = priority
        if target == (clock.calendar, clock.minutes):
            return
        clock.calendar, clock.minutes = target
        overdue = clock.due() <= (clock.paused_since or at)
        if clock.met_at is None and clock.breached_at is None and overdue:
            clock.breached_at = at  # as of the change, not before anyone could know

    def expected(self) -> dict[str, tuple]:
        return {"first_response": self.first.reported(), "restoration": self.restoration.reported()}


STEPS = st.one_of(
    st.tuples(st.just("status"), st.sampled_from(["open", "waiting", "resolved", "closed"])),
    st.tuples(st.just("priority"), st.sampled_from(["P1", "P2", "P3", "P4"])),
    st.tuples(st.just("reply"), st.booleans()),
    st.tuples(st.just("customer"), st.none()),
    st.tuples(st.just("sweep"), st.none()),
)
GAPS = st.one_of(st.integers(1, 240), st.integers(241, 4000))


@st.composite
def histories(draw):
    received = FIRST_ARRIVAL + timedelta(minutes=draw(st.integers(0, ARRIVALS - 1)))
    priority = draw(st.sampled_from(["P1", "P2", "P3", "P4"]))
    pause_when_waiting = draw(st.booleans())
    steps, at = [], received
    for gap, (kind, value) in draw(st.lists(st.tuples(GAPS, STEPS), max_size=10)):
        at += timedelta(minutes=gap)
        steps.append((at, kind, value))
        if (kind, value) == ("status", "closed"):
            break  # a closed case takes no more changes
    return received, priority, pause_when_waiting, steps


def replay(world, case, kind: str, value, at: datetime) -> None:
    if kind == "status":
        services.change_status(case, value, actor=world.agent, at=at)
    elif kind == "priority":
        services.change_priority(case, value, actor=world.agent, at=at)
    elif kind == "reply":
        services.post_reply(case, author=world.agent, body="…", public=value, at=at, notify=False)
    elif kind == "customer":
        services.add_customer_message(case, body="…", contact=world.admin, at=at)
    else:
        services.sweep(at)


def stored(case) -> dict[str, tuple]:
    return {
        c.metric: (c.due_at, c.met_at, c.breached_at)
        for c in case.clocks.filter(guaranteed=True).order_by("metric")
    }


def test_the_model_reads_the_test_plan(world):
    assert world.calendar.weekly == {d: [f"{a}-{b}" for a, b in s] for d, s in WEEKLY.items()}
    assert (world.calendar.timezone, world.calendar.country) == ("Europe/Lisbon", "PT")
    rows = [
        (t.metric, t.priorities, t.within, t.around_the_clock) for t in world.plan.targets.all()
    ]
    assert rows[:3] == [
        ("first_response", [], timedelta(hours=4), False),
        ("restoration", ["P1"], timedelta(hours=4), True),
        ("restoration", [], timedelta(hours=16), False),
    ]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is the code's, not the seed's
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(histories())
def test_case_clocks_agree_with_the_minute_walk(world, history):
    received, priority, pause_when_waiting, steps = history
    note(f"received {received:%a %Y-%m-%d %H:%M} UTC at {priority}, {pause_when_waiting=}")
    for at, kind, value in steps:
        note(f"  {at:%a %Y-%m-%d %H:%M} {kind} {value}")
    check_against_model(world, received, priority, pause_when_waiting, steps)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("priority", "steps"),
    [
        # P1 (4 h around the clock) from Monday 00:00, resolved 00:01, reopened 00:02, lowered
        # to P2 at 00:03: the pause fell outside business hours, so as a P2 case from receipt
        # restoration is due Tuesday 18:00 (16 business hours); stored: Wednesday 09:01.
        (
            "P1",
            [
                (utc(2026, 3, 23, 0, 1), "status", "resolved"),
                (utc(2026, 3, 23, 0, 2), "customer", None),
                (utc(2026, 3, 23, 0, 3), "priority", "P2"),
            ],
        ),
        # P3 from Monday 09:00 (Lisbon = UTC), waiting on the customer 10:00-20:00, raised to
        # P1 at 20:30: 4 h around the clock plus the 10 h paused is due 23:00; stored: 20:00
        # (only the 7 business hours of the pause added), so it is breached at 20:30 and the
        # customer credited for a promise that was kept.
        (
            "P3",
            [
                (utc(2026, 3, 23, 10, 0), "status", "waiting"),
                (utc(2026, 3, 23, 20, 0), "status", "open"),
                (utc(2026, 3, 23, 20, 30), "priority", "P1"),
            ],
        ),
    ],
    ids=["P1 to P2", "P3 to P1"],
)
def test_a_retarget_counts_past_pauses_on_the_new_calendar(world, priority, steps):
    received = utc(2026, 3, 23, 0, 0) if priority == "P1" else utc(2026, 3, 23, 9, 0)
    check_against_model(world, received, priority, True, steps)


def check_against_model(world, received, priority, pause_when_waiting, steps) -> None:
    model = ModelCase(received, priority, pause_when_waiting)
    saved = transaction.savepoint()
    try:
        world.plan.pause_when_waiting = pause_when_waiting
        world.plan.save(update_fields=["pause_when_waiting"])
        case = services.open_case(
            subject="Servidor em baixo",
            body="Não arranca.",
            channel="web",
            priority=priority,
            contact=world.admin,
            at=received,
        )
        assert case.covered
        assert stored(case) == model.expected(), "at receipt"
        for n, (at, kind, value) in enumerate(steps, start=1):
            replay(world, case, kind, value, at)
            model.apply(kind, value, at)
            assert stored(case) == model.expected(), f"after step {n}: {kind} {value} at {at}"
        breaches = [c.breached_at for c in (model.first, model.restoration) if c.breached_at]
        credit = BreachCredit.objects.filter(case=case).values_list("granted_at", flat=True)
        assert list(credit) == ([min(breaches)] if breaches else [])
    finally:
        transaction.savepoint_rollback(saved)
