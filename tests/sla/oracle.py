"""Reference model for the SLA kernel tests, deliberately naive and independent of it.

It walks a window of UTC minutes, reads each minute's local wall clock with zoneinfo and
applies the calendar rules literally. Sharing no code with ``supportdesk.sla`` is the point:
a bug would have to be made twice, in two very different styles, to go unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def to_minutes(spec: Iterable[tuple[str, str]]) -> list[tuple[int, int]]:
    return [(clock_minutes(a), clock_minutes(b)) for a, b in spec]


class MinuteOracle:
    """Working/closed flag for every UTC minute in ``[first, first + minutes)``."""

    def __init__(
        self,
        timezone: str,
        weekly: Mapping[str, Iterable[tuple[str, str]]],
        first: datetime,
        minutes: int,
        *,
        holidays: Iterable[date] = (),
        country: str | None = None,
        subdivision: str | None = None,
        exceptions: Mapping[date, Iterable[tuple[str, str]]] | None = None,
    ) -> None:
        assert first.tzinfo is UTC and first.second == 0 and first.microsecond == 0
        zone = ZoneInfo(timezone)
        week = {DAY_NAMES.index(k): to_minutes(v) for k, v in weekly.items()}
        special = {d: to_minutes(v) for d, v in (exceptions or {}).items()}
        closed = set(holidays)
        if country is not None:
            years = range(first.year - 2, first.year + 3)
            closed |= set(holidays_pkg.country_holidays(country, subdiv=subdivision, years=years))
        self.first = first
        self.flags: list[int] = []
        for k in range(minutes):
            local = (first + timedelta(minutes=k)).astimezone(zone)
            day = local.date()
            if day in special:
                spans = special[day]
            elif day in closed:
                spans = []
            else:
                spans = week.get(day.weekday(), [])
            now = local.hour * 60 + local.minute
            self.flags.append(int(any(a <= now < b for a, b in spans)))
        self.prefix = [0, *accumulate(self.flags)]

    def index(self, instant: datetime) -> int:
        k, rest = divmod(instant - self.first, timedelta(minutes=1))
        assert not rest and 0 <= k <= len(self.flags)
        return k

    def instant(self, index: int) -> datetime:
        return self.first + timedelta(minutes=index)

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working minutes in [a, b) by counting flags."""
        i, j = self.index(a), self.index(b)
        return timedelta(minutes=max(self.prefix[j] - self.prefix[i], 0))

    def remaining(self, a: datetime) -> int:
        """Working minutes from ``a`` to the end of the window."""
        return self.prefix[-1] - self.prefix[self.index(a)]

    def add(self, a: datetime, minutes: int) -> datetime:
        """Walk forward minute by minute until ``minutes`` working minutes have passed."""
        k = self.index(a)
        if minutes == 0:
            return a
        done = 0
        while True:
            done += self.flags[k]
            k += 1
            if done == minutes:
                return self.instant(k)

    def is_open(self, instant: datetime) -> bool:
        return bool(self.flags[self.index(instant)])
