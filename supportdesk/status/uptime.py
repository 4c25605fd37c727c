"""Daily uptime from a component's stored history: pure arithmetic, no Django.

A day is a day on the reader's calendar (local midnight to local midnight, 23 or 25 hours
across a DST change); its bar shows the worst status the component had for any time that day,
and its uptime is the share of the recorded time not spent in an outage. Days before the
component's first record have no data.
"""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from supportdesk.status.choices import OUTAGES, SEVERITY

DAYS = 90


@dataclass(frozen=True)
class Day:
    date: date
    #: The worst status of the day, None when nothing was recorded.
    worst: str | None
    recorded: timedelta
    outage: timedelta

    @property
    def uptime(self) -> float | None:
        if not self.recorded:
            return None
        return 1 - self.outage / self.recorded


def midnight(day: date, zone: tzinfo) -> datetime:
    """The instant the local ``day`` begins (where midnight is skipped, when the day begins)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def daily(
    history: Sequence[tuple[datetime, str]], *, end: datetime, zone: tzinfo, days: int = DAYS
) -> list[Day]:
    """The last ``days`` local days up to ``end``, oldest first.

    ``history``: (instant, status) in order, the last one before the first day included; each
    status lasts until the next change (the later of two at one instant wins) or ``end``.
    """
    instants = [at for at, _ in history]
    last = end.astimezone(zone).date()
    result = []
    for back in range(days - 1, -1, -1):
        day = last - timedelta(days=back)
        start, stop = midnight(day, zone), min(midnight(day + timedelta(days=1), zone), end)
        result.append(_day(day, history, instants, start, stop))
    return result


def _day(
    day: date,
    history: Sequence[tuple[datetime, str]],
    instants: list[datetime],
    start: datetime,
    stop: datetime,
) -> Day:
    worst: str | None = None
    recorded = outage = timedelta()
    index = max(bisect_right(instants, start) - 1, 0)
    while index < len(history) and instants[index] < stop:
        begins = max(instants[index], start)
        ends = min(instants[index + 1], stop) if index + 1 < len(history) else stop
        if ends > begins:
            status = history[index][1]
            if worst is None or SEVERITY[status] > SEVERITY[worst]:
                worst = status
            recorded += ends - begins
            if status in OUTAGES:
                outage += ends - begins
        index += 1
    return Day(day, worst, recorded, outage)


def overall(days: Sequence[Day]) -> float | None:
    """The uptime over all the days with records."""
    recorded = sum((d.recorded for d in days), timedelta())
    if not recorded:
        return None
    return 1 - sum((d.outage for d in days), timedelta()) / recorded
