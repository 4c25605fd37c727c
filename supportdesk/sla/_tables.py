"""Building blocks of the business-time tables: parsing, time zones, holidays, year tables.

Everything here works in integer microseconds so that sums are exact; wall-clock intervals
are turned into UTC intervals as the *preimage* of the wall-clock range under the zone's
UTC→local mapping, which is what makes repeated hours count twice and skipped hours vanish.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import numpy as np

US = timedelta(microseconds=1)
SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
DAY_US = 86_400 * SECOND_US
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
INT64_MAX = np.iinfo(np.int64).max
_FAR = 1 << 62  # "infinity" for segment bounds that stays clear of int64 overflow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Tables are kept per UTC calendar year. The public range is 1900-2200; one year of slack on
# each side lets local dates at either end (and results that spill over) still resolve.
FIRST_YEAR = 1899
LAST_YEAR = 2201
YEAR_START_US: list[int] = [
    (datetime(y, 1, 1, tzinfo=UTC) - EPOCH_UTC) // US for y in range(FIRST_YEAR, LAST_YEAR + 2)
]
RANGE_LO_US = YEAR_START_US[0]
RANGE_HI_US = YEAR_START_US[-1]

Intervals = tuple[tuple[int, int], ...]
"""Sorted, non-overlapping local intervals of one date as (start, end) µs after midnight."""

_CLOCK = re.compile(r"(\d{2}):(\d{2})")


def year_of(us: int) -> int:
    """UTC year holding ``us``; raises for instants outside the supported range."""
    if not RANGE_LO_US <= us < RANGE_HI_US:
        raise ValueError(
            f"instant {describe_us(us)} is outside the supported range "
            f"({FIRST_YEAR + 1}-{LAST_YEAR - 1}, with a year of slack)"
        )
    return FIRST_YEAR + bisect_right(YEAR_START_US, us) - 1


def describe_us(us: int) -> str:
    """Human-readable UTC rendering of a µs timestamp, for error messages."""
    try:
        return (EPOCH_UTC + timedelta(microseconds=int(us))).isoformat()
    except OverflowError:
        return f"{int(us)}µs since 1970 UTC"


# --------------------------------------------------------------------------- parsing


def parse_clock(value: Any, where: str, *, is_end: bool) -> int:
    """``"HH:MM"`` → µs after local midnight; ``"24:00"`` is allowed only as an end."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"{where}: time {value!r} must not carry a time zone")
        return ((value.hour * 60 + value.minute) * 60 + value.second) * SECOND_US + (
            value.microsecond
        )
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: malformed time {value!r}, expected 'HH:MM'")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes != 0):
        raise ValueError(f"{where}: malformed time {value!r}, expected 'HH:MM' up to '24:00'")
    if hours == 24 and not is_end:
        raise ValueError(f"{where}: an interval cannot start at '24:00'")
    return (hours * 60 + minutes) * MINUTE_US


def _clock_text(us: int) -> str:
    minutes, rest = divmod(us, MINUTE_US)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text if not rest else f"{text}+{rest}µs"


def parse_intervals(spec: Any, where: str) -> Intervals:
    """Validate one date's intervals; sort them and merge touching ones."""
    if isinstance(spec, str | bytes) or not isinstance(spec, Iterable):
        raise ValueError(f"{where}: expected a list of ('HH:MM', 'HH:MM') pairs, got {spec!r}")
    parsed: list[tuple[int, int]] = []
    for item in spec:
        if isinstance(item, str | bytes) or not isinstance(item, Iterable):
            raise ValueError(f"{where}: expected an ('HH:MM', 'HH:MM') pair, got {item!r}")
        pair = tuple(item)
        if len(pair) != 2:
            raise ValueError(f"{where}: expected an ('HH:MM', 'HH:MM') pair, got {item!r}")
        start = parse_clock(pair[0], where, is_end=False)
        end = parse_clock(pair[1], where, is_end=True)
        if end <= start:
            raise ValueError(
                f"{where}: interval {pair[0]}-{pair[1]} is reversed or empty "
                "(the end must come after the start)"
            )
        parsed.append((start, end))
    parsed.sort()
    merged: list[tuple[int, int]] = []
    for start, end in parsed:
        if merged and start < merged[-1][1]:
            prev = merged[-1]
            raise ValueError(
                f"{where}: intervals {_clock_text(prev[0])}-{_clock_text(prev[1])} and "
                f"{_clock_text(start)}-{_clock_text(end)} overlap"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_weekly(weekly: Mapping[str, Any]) -> tuple[Intervals, ...]:
    """``{"mon": [...], ...}`` → seven interval tuples, Monday first; missing days are closed."""
    if not isinstance(weekly, Mapping):
        raise ValueError(f"weekly must be a mapping of 'mon'..'sun' to intervals, got {weekly!r}")
    days: list[Intervals] = [() for _ in WEEKDAYS]
    for key, spec in weekly.items():
        name = key.lower() if isinstance(key, str) else key
        if name not in WEEKDAYS:
            raise ValueError(f"weekly: unknown weekday {key!r}; use 'mon'..'sun'")
        days[WEEKDAYS.index(name)] = parse_intervals(spec, f"weekly[{key!r}]")
    return tuple(days)


def check_date(value: Any, where: str) -> date:
    """Accept a plain ``date`` (not a datetime, whose date would depend on a zone)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{where}: expected a datetime.date, got {value!r}")
    return value


def load_zone(name: Any) -> tzinfo:
    """IANA name (or a tzinfo such as ZoneInfo) → tzinfo, with a ValueError naming the input."""
    if isinstance(name, tzinfo):
        if name.utcoffset(datetime(2000, 1, 1, tzinfo=name)) is None:
            raise ValueError(f"time zone {name!r} has no UTC offset")
        return name
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name like 'Europe/Warsaw'")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}") from exc


def check_country(country: str | None, subdivision: str | None) -> None:
    """Fail at construction, not at the first lookup, when ``holidays`` does not know the code."""
    if country is None:
        if subdivision is not None:
            raise ValueError(f"subdivision {subdivision!r} given without a country")
        return
    if not isinstance(country, str):
        raise ValueError(f"unknown country {country!r}")
    try:
        holidays_pkg.country_holidays(country, years=())
    except (NotImplementedError, KeyError, ValueError, AttributeError) as exc:
        raise ValueError(f"unknown country {country!r} for public holidays") from exc
    if subdivision is not None:
        try:
            holidays_pkg.country_holidays(country, subdiv=subdivision, years=())
        except (NotImplementedError, KeyError, ValueError, AttributeError) as exc:
            raise ValueError(f"unknown subdivision {subdivision!r} of country {country!r}") from exc


@lru_cache(maxsize=4096)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[int]:
    """Date ordinals of one year's public holidays, shared by all calendars of that country."""
    found = holidays_pkg.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(day.toordinal() for day in found)


# --------------------------------------------------------------------------- time zones


def _offset_at(tz: tzinfo, epoch_in_tz: datetime, second: int) -> int:
    """UTC offset in µs in force at the UTC instant ``second`` (seconds since 1970)."""
    local = tz.fromutc(epoch_in_tz + timedelta(seconds=second))
    offset = local.utcoffset()
    if offset is None:  # pragma: no cover - only exotic tzinfo implementations
        raise ValueError(f"time zone {tz!r} has no UTC offset")
    return offset // US


@lru_cache(maxsize=2048)
def zone_segments(tz: tzinfo, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constant-offset stretches of UTC time around one UTC year: (starts, ends, offsets) in µs.

    zoneinfo does not expose its transition table, so offsets are sampled once a day and
    each change is pinned to the second by bisection (tz data has whole-second transitions).
    """
    epoch_in_tz = datetime(1970, 1, 1, tzinfo=tz)
    first = (YEAR_START_US[year - FIRST_YEAR] - 3 * DAY_US) // SECOND_US
    last = (YEAR_START_US[year - FIRST_YEAR + 1] + 3 * DAY_US) // SECOND_US
    day = DAY_US // SECOND_US
    starts: list[int] = [-_FAR]
    offsets: list[int] = [_offset_at(tz, epoch_in_tz, first)]
    left, left_offset = first, offsets[0]
    for right in range(first + day, last + day, day):
        right_offset = _offset_at(tz, epoch_in_tz, right)
        # Several changes inside one day are found one after the other.
        while right_offset != left_offset:
            lo, hi = left, right
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_at(tz, epoch_in_tz, mid) == left_offset:
                    lo = mid
                else:
                    hi = mid
            left, left_offset = hi, _offset_at(tz, epoch_in_tz, hi)
            starts.append(hi * SECOND_US)
            offsets.append(left_offset)
        left, left_offset = right, right_offset
    start_arr = np.array(starts, dtype=np.int64)
    end_arr = np.append(start_arr[1:], np.int64(_FAR))
    return start_arr, end_arr, np.array(offsets, dtype=np.int64)


def wall_to_utc(
    wall_start: np.ndarray, wall_end: np.ndarray, tz: tzinfo, year: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map wall-clock intervals to UTC pieces: every instant whose local reading lies inside.

    Returns (source index, utc start, utc end). Inside one constant-offset stretch the local
    reading is ``utc + offset``, so the preimage is the shifted interval clipped to the stretch;
    an interval meeting two stretches (a DST change) yields a piece in each, which is how a
    repeated hour is counted twice and a skipped hour contributes nothing.
    """
    seg_start, seg_end, seg_off = zone_segments(tz, year)
    wall_lo = seg_start + seg_off  # local readings covered by each stretch: [wall_lo, wall_hi)
    wall_hi = seg_end + seg_off
    if len(seg_off) > 1 and np.all(np.diff(wall_lo) > 0) and np.all(np.diff(wall_hi) > 0):
        first = np.searchsorted(wall_hi, wall_start, side="right")
        last = np.searchsorted(wall_lo, wall_end, side="left") - 1
    else:  # one stretch, or a zone too odd for the sorted shortcut: try every stretch
        first = np.zeros(len(wall_start), dtype=np.intp)
        last = np.full(len(wall_start), len(seg_off) - 1, dtype=np.intp)
    single = first == last
    idx = np.flatnonzero(single)
    seg = first[idx]
    off = seg_off[seg]
    out_src = [idx]
    out_start = [np.maximum(wall_start[idx] - off, seg_start[seg])]
    out_end = [np.minimum(wall_end[idx] - off, seg_end[seg])]
    many = np.flatnonzero(last > first)
    if len(many):
        src, starts, ends = [], [], []
        for i in many.tolist():
            a, b = int(wall_start[i]), int(wall_end[i])
            for k in range(int(first[i]), int(last[i]) + 1):
                piece_start = max(a - int(seg_off[k]), int(seg_start[k]))
                piece_end = min(b - int(seg_off[k]), int(seg_end[k]))
                if piece_start < piece_end:
                    src.append(i)
                    starts.append(piece_start)
                    ends.append(piece_end)
        out_src.append(np.array(src, dtype=np.intp))
        out_start.append(np.array(starts, dtype=np.int64))
        out_end.append(np.array(ends, dtype=np.int64))
    source = np.concatenate(out_src)
    start = np.concatenate(out_start)
    end = np.concatenate(out_end)
    keep = start < end
    return source[keep], start[keep], end[keep]


def merge_touching(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join sorted disjoint intervals that touch, so boundaries are strictly increasing."""
    if len(starts) < 2:
        return starts, ends
    gap = starts[1:] != ends[:-1]
    return starts[np.concatenate(([True], gap))], ends[np.concatenate((gap, [True]))]


# --------------------------------------------------------------------------- year tables


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything that decides what is open, in parsed form."""

    tz: tzinfo
    weekly: tuple[Intervals, ...]
    holidays: frozenset[int]  # explicit closed dates, as ordinals
    country: str | None
    subdivision: str | None
    exceptions: Mapping[int, Intervals]  # ordinal → intervals replacing the weekday's
    exception_days: tuple[int, ...]  # sorted ordinals of ``exceptions``

    def closed_days(self, first: int, last: int) -> set[int]:
        """Holiday ordinals in [first, last]; neighbouring years catch observed-day spillover."""
        closed = {d for d in self.holidays if first <= d <= last}
        if self.country is not None:
            y0 = date.fromordinal(first).year
            y1 = date.fromordinal(last).year
            for year in range(y0 - 1, y1 + 2):
                closed.update(public_holidays(self.country, self.subdivision, year))
        return closed


class YearTable:
    """Working time inside one UTC year, plus the business days of the same local year.

    ``bounds``/``cums`` interleave interval starts and ends with the working time elapsed
    before each, so both directions of the arithmetic are one ``bisect`` each.
    """

    __slots__ = ("bd_close", "bd_days", "bounds", "cums", "ends", "hi", "lo", "starts", "total")

    def __init__(
        self,
        lo: int,
        hi: int,
        starts: np.ndarray,
        ends: np.ndarray,
        bd_days: np.ndarray,
        bd_close: np.ndarray,
    ) -> None:
        self.lo, self.hi = lo, hi
        self.starts, self.ends = starts, ends
        lengths = ends - starts
        cum_end = np.cumsum(lengths)
        bounds = np.empty(2 * len(starts), dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts, ends
        cums = np.empty_like(bounds)
        cums[0::2], cums[1::2] = cum_end - lengths, cum_end
        self.bounds: list[int] = bounds.tolist()
        self.cums: list[int] = cums.tolist()
        self.total = int(cum_end[-1]) if len(cum_end) else 0
        # Rarely used, so compact arrays (bisect works on them) rather than lists of ints.
        self.bd_days = array("q", bd_days.tobytes())
        self.bd_close = array("q", bd_close.tobytes())

    def cum(self, t: int) -> int:
        """Working µs in [lo, t) for lo <= t <= hi."""
        i = bisect_right(self.bounds, t) - 1
        if i < 0:
            return 0
        if i & 1:
            return self.cums[i]
        return self.cums[i] + t - self.bounds[i]

    def invert(self, w: int) -> int:
        """Earliest instant with ``cum == w`` for 0 < w <= total."""
        j = bisect_left(self.cums, w)
        return self.bounds[j] - self.cums[j] + w


def build_year(rules: Rules, year: int) -> YearTable:
    """Compute one UTC year's table in bulk with NumPy."""
    lo = YEAR_START_US[year - FIRST_YEAR]
    hi = YEAR_START_US[year - FIRST_YEAR + 1]
    # Local dates whose intervals can reach into this UTC year (offsets stay within ±1 day).
    first_day = date(year - 1, 12, 30).toordinal()
    last_day = date(year + 1, 1, 2).toordinal()
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    weekday = (days + 6) % 7  # ordinal 1 (0001-01-01) was a Monday
    closed = rules.closed_days(first_day, last_day)
    lo_ex = bisect_left(rules.exception_days, first_day)
    hi_ex = bisect_right(rules.exception_days, last_day)
    replaced = rules.exception_days[lo_ex:hi_ex]
    skip = closed.union(replaced)
    usual = days if not skip else days[~np.isin(days, np.fromiter(skip, dtype=np.int64))]
    usual_wd = (usual + 6) % 7 if len(usual) != len(days) else weekday

    day_parts: list[np.ndarray] = []
    start_parts: list[np.ndarray] = []
    end_parts: list[np.ndarray] = []
    for wd, intervals in enumerate(rules.weekly):
        if not intervals:
            continue
        chosen = usual[usual_wd == wd]
        for start, end in intervals:
            day_parts.append(chosen)
            start_parts.append(np.full(len(chosen), start, dtype=np.int64))
            end_parts.append(np.full(len(chosen), end, dtype=np.int64))
    special = [(d, s, e) for d in replaced for s, e in rules.exceptions[d]]
    if special:
        arr = np.array(special, dtype=np.int64)
        day_parts.append(arr[:, 0])
        start_parts.append(arr[:, 1])
        end_parts.append(arr[:, 2])
    if day_parts:
        day_of = np.concatenate(day_parts)
        midnight = (day_of - EPOCH_ORDINAL) * DAY_US
        src, utc_start, utc_end = wall_to_utc(
            midnight + np.concatenate(start_parts),
            midnight + np.concatenate(end_parts),
            rules.tz,
            year,
        )
        piece_day = day_of[src]
    else:
        piece_day = utc_start = utc_end = np.empty(0, dtype=np.int64)

    # Business days of the local year: closing instant = end of the date's last piece.
    in_year = (piece_day >= date(year, 1, 1).toordinal()) & (
        piece_day < date(year + 1, 1, 1).toordinal()
    )
    close = np.full(len(days), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(close, piece_day[in_year] - first_day, utc_end[in_year])
    has_work = close != np.iinfo(np.int64).min
    bd_days, bd_close = days[has_work], close[has_work]

    # Clip to the UTC year so that consecutive tables tile the time line exactly.
    utc_start = np.maximum(utc_start, lo)
    utc_end = np.minimum(utc_end, hi)
    keep = utc_start < utc_end
    order = np.argsort(utc_start[keep], kind="stable")
    starts, ends = merge_touching(utc_start[keep][order], utc_end[keep][order])
    if len(starts) > 1 and np.any(starts[1:] < ends[:-1]):  # pragma: no cover - invariant
        raise AssertionError("working intervals overlap after conversion to UTC")
    return YearTable(lo, hi, starts, ends, bd_days, bd_close)
