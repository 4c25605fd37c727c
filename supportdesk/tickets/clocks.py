"""SLA clock arithmetic on top of the kernel: which target applies, when a clock is due."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from supportdesk.plans.models import BusinessCalendar, SlaTarget, kernel_for
from supportdesk.tickets.models import SlaClock


def select_target(
    targets: Iterable[SlaTarget],
    *,
    metric: str,
    priority: str,
    channel: str,
    designated: bool,
    covered: bool,
) -> SlaTarget | None:
    """The first matching row for this metric; an uncovered case only gets indicative rows."""
    for target in targets:
        if target.metric != metric or (not covered and target.guaranteed):
            continue
        if target.matches(priority=priority, channel=channel, designated=designated):
            return target
    return None


def apply_target(clock: SlaClock, target: SlaTarget, calendar: BusinessCalendar | None) -> None:
    """``calendar``: the case's business hours (its contract's region, else its plan's)."""
    clock.target = target
    clock.rule = target.describe()
    clock.guaranteed = target.guaranteed
    clock.calendar = None if target.around_the_clock else calendar
    clock.within = target.within
    clock.business_days = target.business_days


def compute_due(clock: SlaClock, paused_work: timedelta | None = None) -> datetime:
    """Due = start + target + working time paused, all counted on the clock's calendar."""
    kernel = kernel_for(clock.calendar)
    paused = clock.paused_work if paused_work is None else paused_work
    if clock.business_days is not None:
        close = kernel.close_of_business_day(clock.started_at, clock.business_days)
        return kernel.add(close, paused) if paused else close
    if clock.within is None:
        raise ValueError(f"clock {clock} has neither a time limit nor business days")
    return kernel.add(clock.started_at, clock.within + paused)


def paused_working_time(clock: SlaClock, until: datetime) -> timedelta:
    """The working time of the pause under way, up to ``until``; none when not paused."""
    if clock.paused_since is None:
        return timedelta(0)
    return kernel_for(clock.calendar).between(clock.paused_since, until)


def paused_on_calendar(clock: SlaClock, pauses: Iterable[tuple[datetime, datetime]]) -> timedelta:
    """The working time of these pauses on the clock's calendar: after a retarget to other
    hours (P1's around the clock, P2's business hours) past pauses count as the new hours
    count them."""
    kernel = kernel_for(clock.calendar)
    return sum((kernel.between(start, end) for start, end in pauses), timedelta(0))


def due_as_of(clock: SlaClock, at: datetime) -> datetime:
    """The due instant of a paused clock as it stands at ``at``: its pause counted so far."""
    if clock.paused_since is None:
        return compute_due(clock)
    return compute_due(clock, clock.paused_work + paused_working_time(clock, at))


def next_due(clocks: Iterable[SlaClock]) -> datetime | None:
    """What orders the queue: the earliest due instant of the clocks still running."""
    dues = [c.due_at for c in clocks if c.met_at is None and c.due_at is not None]
    return min(dues, default=None)
