"""The business calendar: the one place Supportdesk turns promises into instants.

Model. An instant is working time when the calendar's local wall clock reads a time inside
one of that local date's intervals ``[start, end)``: the date's exception when it has one,
nothing on a holiday, otherwise the weekday's intervals. Intervals spanning a DST change are
an hour longer or shorter in physical time, a wall time that occurs twice counts twice, and
an interval opening inside a skipped hour opens at the first later clock reading.

Representation. Per UTC year, a sorted table of open intervals in UTC microseconds with the
working time elapsed before each boundary. ``between`` is a difference of two lookups, ``add``
is one lookup plus its inverse. Tables are built lazily in bulk and kept in a small LRU, so
memory stays bounded however many years are touched. Results are exact to the microsecond.

Conventions. Every datetime argument must be timezone-aware (``TypeError`` otherwise); results
are returned in the tzinfo of the datetime they were computed from. Array methods take and
return ``datetime64``/``timedelta64`` values, read and written as UTC, at microsecond
resolution. Supported instants lie in the years 1900-2200 (with a year of slack at each end).
Public holidays come from the ``holidays`` package for every year touched, within the years
that package covers for the country (e.g. 1925-2100 for PL); outside them only explicit
``holidays`` and ``exceptions`` close dates.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from ._tables import (
    EPOCH_UTC,
    FIRST_YEAR,
    LAST_YEAR,
    US,
    WEEKDAYS,
    Intervals,
    Rules,
    YearTable,
    build_year,
    check_country,
    check_date,
    describe_us,
    load_zone,
    parse_intervals,
    parse_weekly,
    year_of,
)
from ._window import Window

__all__ = ["Calendar"]

_ZERO = timedelta(0)
_fromtimestamp = datetime.fromtimestamp
_EMPTY_TABLE = YearTable(0, 0, *(np.empty(0, dtype=np.int64) for _ in range(4)))
_MAX_YEAR_TABLES = 24  # LRU bound: ~40 kB per year for a Mon-Fri calendar
_MAX_CACHED_WINDOW_YEARS = 24  # larger array windows are rebuilt rather than kept

IntervalSpec = Iterable[tuple[str, str]]


def _us(instant: datetime, what: str = "instant") -> int:
    """Aware datetime → µs since 1970 UTC; a naive one is a TypeError, never a guess."""
    try:
        return (instant - EPOCH_UTC) // US
    except TypeError:
        raise TypeError(f"{what} must be a timezone-aware datetime, got {instant!r}") from None


def _duration_us(duration: timedelta) -> int:
    try:
        return duration // US
    except TypeError:
        raise TypeError(f"duration must be a timedelta, got {duration!r}") from None


class Calendar:
    """Opening hours in one time zone, with holidays and per-date exceptions.

    Thread-safe: tables are immutable once built and the caches are guarded by a lock.
    """

    def __init__(
        self,
        timezone: str | tzinfo,
        weekly: Mapping[str, IntervalSpec],
        *,
        holidays: Iterable[date] = (),
        country: str | None = None,
        subdivision: str | None = None,
        exceptions: Mapping[date, IntervalSpec] | None = None,
    ) -> None:
        tz = load_zone(timezone)
        week = parse_weekly(weekly)
        closed = frozenset(check_date(d, "holidays").toordinal() for d in holidays)
        check_country(country, subdivision)
        special: dict[int, Intervals] = {}
        for day, spec in (exceptions or {}).items():
            check_date(day, "exceptions")
            special[day.toordinal()] = parse_intervals(spec, f"exceptions[{day.isoformat()}]")
        self._rules = Rules(
            tz=tz,
            weekly=week,
            holidays=closed,
            country=country,
            subdivision=subdivision,
            exceptions=special,
            exception_days=tuple(sorted(special)),
        )
        self.timezone: tzinfo = tz
        # Last UTC year that can hold working time, so searches forward end instead of hanging.
        open_exceptions = [d for d, ivs in special.items() if ivs]
        self._work_until: int | None
        if any(week):
            self._work_until = LAST_YEAR
        elif open_exceptions:
            self._work_until = min(date.fromordinal(max(open_exceptions)).year + 1, LAST_YEAR)
        else:
            self._work_until = None
        self._tables: OrderedDict[int, YearTable] = OrderedDict()
        self._totals: dict[int, int] = {}
        self._window: tuple[int, int, Window] | None = None
        self._lock = threading.Lock()
        # Cover nothing, so the first lookup loads a real year.
        self._current = self._previous = _EMPTY_TABLE
        # The epoch in the last caller's tzinfo: tz.fromutc(epoch + delta) is the cheapest
        # exact way back from µs to an aware datetime.

    @classmethod
    def always(cls) -> Calendar:
        """24/7 calendar: business time is physical time."""
        return cls("UTC", {day: [("00:00", "24:00")] for day in WEEKDAYS})

    def __repr__(self) -> str:
        return f"<Calendar {getattr(self.timezone, 'key', self.timezone)}>"

    # ------------------------------------------------------------------ tables

    def _table(self, year: int) -> YearTable:
        """Year table from the LRU, building it on a miss."""
        table = self._tables.get(year)
        if table is not None:
            with suppress(KeyError):  # another thread may have just evicted it; still valid
                self._tables.move_to_end(year)
            return table
        with self._lock:
            table = self._tables.get(year)
            if table is None:
                table = build_year(self._rules, year)
                self._tables[year] = table
                self._totals[year] = table.total
                while len(self._tables) > _MAX_YEAR_TABLES:
                    self._tables.popitem(last=False)
            else:
                self._tables.move_to_end(year)
        return table

    def _table_at(self, t: int) -> YearTable:
        """Year table holding ``t``; the last two used are checked first (work alternates
        between neighbouring years near New Year and in random workloads)."""
        table = self._current
        if table.lo <= t < table.hi:
            return table
        other = self._previous
        if not other.lo <= t < other.hi:
            other = self._table(year_of(t))
        self._previous, self._current = table, other
        return other

    def _total(self, year: int) -> int:
        total = self._totals.get(year)
        return self._table(year).total if total is None else total

    def _check_year_has_work(self, year: int, what: str, t: int) -> None:
        """Raise instead of searching years that cannot hold working time."""
        if self._work_until is None:
            raise ValueError(f"calendar has no working time at all; cannot {what}")
        if year > self._work_until:
            if self._work_until >= LAST_YEAR:
                raise ValueError(
                    f"cannot {what} from {describe_us(t)}: the answer lies beyond the "
                    f"supported range (up to {LAST_YEAR - 1})"
                )
            raise ValueError(f"calendar has no working time after {describe_us(t)}; cannot {what}")

    @staticmethod
    def _out(us: int, tz: tzinfo | None) -> datetime:
        """µs since 1970 UTC → aware datetime in ``tz`` (the caller's zone).

        ``fromtimestamp`` on whole seconds is exact and cheaper than building a timedelta;
        zone offsets are whole seconds, so the microseconds go on afterwards unchanged."""
        seconds, micro = divmod(us, 1_000_000)
        try:
            instant = _fromtimestamp(seconds, tz)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"result {describe_us(us)} is out of range") from exc
        return instant.replace(microsecond=micro) if micro else instant

    # ------------------------------------------------------------------ scalar API

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Earliest instant at which ``duration`` of working time has elapsed since ``start``.

        A target that runs out exactly at closing time is due at closing time. The result is
        in ``start``'s tzinfo. (Hot path: conversions are inlined on purpose.)
        """
        try:
            delta = start - EPOCH_UTC
        except TypeError:
            raise TypeError(f"start must be a timezone-aware datetime, got {start!r}") from None
        t = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        try:
            d = duration // US
        except TypeError:
            raise TypeError(f"duration must be a timedelta, got {duration!r}") from None
        if d <= 0:
            if d == 0:
                return start
            raise ValueError(f"duration must not be negative, got {duration!r}")
        table = self._current
        if not table.lo <= t < table.hi:
            table = self._table_at(t)
        bounds, cums = table.bounds, table.cums
        i = bisect_right(bounds, t) - 1
        if i < 0:
            w = d
        elif i & 1:
            w = cums[i] + d
        else:
            w = cums[i] + t - bounds[i] + d
        if w > table.total:
            return self._out(self._add_beyond(table, w - table.total, t), start.tzinfo)
        j = bisect_left(cums, w)
        return self._out(bounds[j] - cums[j] + w, start.tzinfo)

    def _add_beyond(self, table: YearTable, rest: int, t: int) -> int:
        """Carry ``rest`` µs of work into the following years."""
        year = year_of(table.lo)
        while True:
            year += 1
            self._check_year_has_work(year, "add", t)
            total = self._total(year)
            if rest <= total:
                return self._table(year).invert(rest)
            rest -= total

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Physical duration of working time in ``[start, end)``; zero when end <= start."""
        a = _us(start, "start")
        b = _us(end, "end")
        if b <= a:
            return _ZERO
        return timedelta(microseconds=self._between_us(a, b))

    def _between_us(self, a: int, b: int) -> int:
        ta = self._table_at(a)
        if b < ta.hi:
            return ta.cum(b) - ta.cum(a)
        ya, yb = year_of(a), year_of(b)
        work = ta.total - ta.cum(a)
        for year in range(ya + 1, yb):
            work += self._total(year)
        return work + self._table(yb).cum(b)

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` is working time."""
        t = _us(instant)
        table = self._table_at(t)
        i = bisect_right(table.bounds, t) - 1
        return i >= 0 and not i & 1

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` itself when open, else the next opening (in ``instant``'s tzinfo)."""
        t = _us(instant)
        table = self._table_at(t)
        i = bisect_right(table.bounds, t) - 1
        if i >= 0 and not i & 1:
            return instant
        if i + 1 < len(table.bounds):
            return self._out(table.bounds[i + 1], instant.tzinfo)
        year = year_of(table.lo)
        while True:
            year += 1
            self._check_year_has_work(year, "find the next opening", t)
            following = self._table(year)
            if following.bounds:
                return self._out(following.bounds[0], instant.tzinfo)

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Maximal open stretches inside ``[start, end)``, clipped to it, in ``start``'s tzinfo.

        Billing prices time inside and outside opening hours from these; stretches that touch
        (``"24:00"`` meeting the next day's ``"00:00"``) come back as one.
        """
        a = _us(start, "start")
        b = _us(end, "end")
        found: list[list[int]] = []
        if b <= a:
            return []
        for year in range(year_of(a), year_of(b - 1) + 1):
            table = self._table(year)
            first = int(np.searchsorted(table.ends, a, side="right"))
            last = int(np.searchsorted(table.starts, b, side="left"))
            for lo, hi in zip(
                table.starts[first:last].tolist(), table.ends[first:last].tolist(), strict=True
            ):
                lo, hi = max(lo, a), min(hi, b)
                if found and found[-1][1] == lo:
                    found[-1][1] = hi
                else:
                    found.append([lo, hi])
        tz = start.tzinfo
        return [(self._out(lo, tz), self._out(hi, tz)) for lo, hi in found]

    def is_business_day(self, day: date) -> bool:
        """Whether the local date ``day`` has any working time at all."""
        check_date(day, "day")
        ordinal = day.toordinal()
        days = self._business_days(day.year)[0]
        i = bisect_left(days, ordinal)
        return i < len(days) and days[i] == ordinal

    def _business_days(self, year: int) -> tuple[Sequence[int], Sequence[int]]:
        """Business days of a local year (ordinals) and their closing instants (µs)."""
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"year {year} is outside the supported range")
        table = self._table(year)
        return table.bd_days, table.bd_close

    def close_of_business_day(self, instant: datetime, n: int = 1) -> datetime:
        """Closing instant of the ``n``-th business day after ``instant``'s local date.

        ``n=0`` means that date itself when it is a business day, otherwise the next one
        (as if the request arrived at the next opening). The result is in ``instant``'s tzinfo.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        t = _us(instant)
        year_of(t)  # range check
        local_day = instant.astimezone(self.timezone).date()
        ordinal = local_day.toordinal()
        year = local_day.year
        days, closes = self._business_days(year)
        index = bisect_left(days, ordinal) if n == 0 else bisect_right(days, ordinal) + n - 1
        while index >= len(days):
            index -= len(days)
            year += 1
            self._check_year_has_work(year, "find a business day", t)
            days, closes = self._business_days(year)
        return self._out(closes[index], instant.tzinfo)

    # ------------------------------------------------------------------ array API

    def add_many(self, starts: Any, durations: Any) -> np.ndarray:
        """Vectorised :meth:`add`: ``datetime64[us]`` UTC due instants."""
        s = _instants_array(starts, "starts")
        d = _durations_array(durations, "durations")
        if s.shape != d.shape:
            raise ValueError(f"starts and durations differ in shape: {s.shape} vs {d.shape}")
        flat_s, flat_d = s.ravel(), d.ravel()
        if flat_s.size == 0:
            return flat_s.view("datetime64[us]").reshape(s.shape)
        if int(flat_d.min()) < 0:
            raise ValueError("durations must not be negative")
        first, last = int(flat_s.min()), int(flat_s.max())
        y0, y1 = year_of(first), year_of(last) + 1
        while True:
            window = self._window_for(y0, y1)
            out = window.add(flat_s, flat_d)
            if out is not None:
                return out.view("datetime64[us]").reshape(s.shape)
            # Some target lies beyond the window: double it (the last year bounds the loop).
            self._check_year_has_work(y1, "add", first)
            y1 = min(y1 + (y1 - y0), self._work_until or y1, LAST_YEAR) + 1

    def between_many(self, starts: Any, ends: Any) -> np.ndarray:
        """Vectorised :meth:`between`: ``timedelta64[us]`` working time per pair."""
        a = _instants_array(starts, "starts")
        b = _instants_array(ends, "ends")
        if a.shape != b.shape:
            raise ValueError(f"starts and ends differ in shape: {a.shape} vs {b.shape}")
        flat_a, flat_b = a.ravel(), b.ravel()
        if flat_a.size == 0:
            return flat_a.view("timedelta64[us]").reshape(a.shape)
        first = min(int(flat_a.min()), int(flat_b.min()))
        last = max(int(flat_a.max()), int(flat_b.max()))
        window = self._window_for(year_of(first), year_of(last) + 1)
        return window.between(flat_a, flat_b).view("timedelta64[us]").reshape(a.shape)

    def _window_for(self, y0: int, y1: int) -> Window:
        """Contiguous array table for UTC years [y0, y1), reusing the cached one if it covers."""
        cached = self._window
        if cached is not None and cached[0] <= y0 and y1 <= cached[1]:
            return cached[2]
        window = Window([self._table(year) for year in range(y0, y1)])
        if y1 - y0 <= _MAX_CACHED_WINDOW_YEARS:
            self._window = (y0, y1, window)
        return window


# ---------------------------------------------------------------------- array input


def _int64_array(values: Any, what: str, unit: str, convert: Any, expected: str) -> np.ndarray:
    """NumPy ``unit`` values (datetime64[us] or timedelta64[us]) or Python objects → int64 µs."""
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind == np.dtype(unit).kind:
        arr = arr.astype(unit, copy=False).view(np.int64)
        if arr.size and int(arr.min()) == np.iinfo(np.int64).min:
            raise ValueError(f"{what} contains NaT")
        return arr
    if arr.dtype.kind == "O" or arr.size == 0:
        items: Sequence[Any] = arr.ravel().tolist()
        return np.array([convert(v) for v in items], dtype=np.int64).reshape(arr.shape)
    raise TypeError(f"{what} must be {expected}, got {arr.dtype}")


def _instants_array(values: Any, what: str) -> np.ndarray:
    """datetime64 (as UTC) or aware datetimes → int64 µs since 1970 UTC."""
    return _int64_array(
        values,
        what,
        "datetime64[us]",
        lambda v: _us(v, what),
        "datetime64 values or aware datetimes",
    )


def _durations_array(values: Any, what: str) -> np.ndarray:
    """timedelta64 or timedelta objects → int64 µs."""
    return _int64_array(
        values, what, "timedelta64[us]", _duration_us, "timedelta64 values or timedeltas"
    )
