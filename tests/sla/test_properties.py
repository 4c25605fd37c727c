"""Property tests: the kernel against the minute-walk oracle, plus algebraic invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.sla import Calendar

from .oracle import DAY_NAMES, MinuteOracle

# Dates where the zone's clocks change (or a year turns over, which splits the kernel's tables).
ZONES: dict[str, list[date]] = {
    "Europe/Warsaw": [date(2026, 3, 29), date(2026, 10, 25), date(2025, 12, 31)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1), date(2026, 12, 31)],
    "Australia/Sydney": [date(2026, 4, 5), date(2026, 10, 4)],
    "America/Los_Angeles": [date(2026, 12, 31), date(2026, 3, 8)],
    "Asia/Kolkata": [date(2026, 1, 1)],
    "UTC": [date(2026, 1, 1)],
}
COUNTRY = {"Europe/Warsaw": "PL", "America/New_York": "US", "Australia/Sydney": "AU"}
# Interval edges, weighted towards the hours DST changes happen in (and towards midnight).
EDGES = [0, 30, 60, 90, 120, 135, 150, 165, 180, 195, 210, 240, 300, 480, 720, 780, 1080]
EDGES += [1320, 1380, 1410, 1440]
WINDOW_DAYS = 4
MINUTE = timedelta(minutes=1)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_intervals(draw: st.DrawFn, max_intervals: int = 3) -> list[tuple[str, str]]:
    count = draw(st.integers(0, max_intervals))
    pool = st.one_of(st.sampled_from(EDGES), st.integers(0, 96).map(lambda q: q * 15))
    points = sorted(draw(st.sets(pool, min_size=2 * count, max_size=2 * count)))
    return [(hhmm(a), hhmm(b)) for a, b in zip(points[0::2], points[1::2], strict=True)]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A calendar plus a four-day UTC window around an interesting date of its zone."""
    zone = draw(st.sampled_from(sorted(ZONES)))
    anchor = draw(
        st.one_of(st.sampled_from(ZONES[zone]), st.dates(date(2025, 1, 1), date(2028, 12, 31)))
    )
    first = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC) - timedelta(
        days=draw(st.integers(0, 2))
    )
    window_days = [(first + timedelta(days=k)).date() for k in range(-1, WINDOW_DAYS + 1)]
    weekly = {
        name: spans for name in DAY_NAMES if (spans := draw(day_intervals())) or draw(st.booleans())
    }
    holidays = draw(st.lists(st.sampled_from(window_days), max_size=2))
    exceptions = draw(st.dictionaries(st.sampled_from(window_days), day_intervals(), max_size=2))
    country = COUNTRY.get(zone) if draw(st.integers(0, 3)) == 0 else None
    return {
        "timezone": zone,
        "weekly": weekly,
        "holidays": holidays,
        "exceptions": exceptions,
        "country": country,
        "first": first,
    }


def naive_utc(instants: list[datetime]) -> np.ndarray:
    """datetime64 values are UTC by contract; numpy wants them without tzinfo."""
    return np.array([i.astimezone(UTC).replace(tzinfo=None) for i in instants], "datetime64[us]")


def build(scenario: dict[str, Any]) -> tuple[Calendar, MinuteOracle]:
    kwargs = {k: v for k, v in scenario.items() if k != "first"}
    calendar = Calendar(**kwargs)
    oracle = MinuteOracle(first=scenario["first"], minutes=WINDOW_DAYS * 1440, **kwargs)
    return calendar, oracle


ORACLE_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@ORACLE_SETTINGS
@given(scenarios(), st.data())
def test_between_and_is_open_match_oracle(scenario: dict[str, Any], data: st.DataObject) -> None:
    calendar, oracle = build(scenario)
    last = len(oracle.flags)
    for _ in range(8):
        i = data.draw(st.integers(0, last))
        j = data.draw(st.integers(0, last))
        a, b = oracle.instant(i), oracle.instant(j)
        assert calendar.between(a, b) == oracle.between(a, b), (a, b)
        if i < last:
            assert calendar.is_open(a) == oracle.is_open(a), a
    # Open stretches of a random sub-window are the runs of open minutes, clipped.
    i, j = sorted((data.draw(st.integers(0, last)), data.draw(st.integers(0, last))))
    runs, k = [], i
    while k < j:
        if oracle.flags[k]:
            run_start = k
            while k < j and oracle.flags[k]:
                k += 1
            runs.append((oracle.instant(run_start), oracle.instant(k)))
        else:
            k += 1
    assert calendar.open_intervals(oracle.instant(i), oracle.instant(j)) == runs
    # The whole window at once, and every minute's open flag through the array API.
    starts = naive_utc([oracle.instant(k) for k in range(last)])
    spans = calendar.between_many(starts, starts + np.timedelta64(1, "m"))
    assert spans.astype("timedelta64[m]").astype(np.int64).tolist() == oracle.flags


@ORACLE_SETTINGS
@given(scenarios(), st.data())
def test_add_matches_oracle(scenario: dict[str, Any], data: st.DataObject) -> None:
    calendar, oracle = build(scenario)
    last = len(oracle.flags)
    starts, durations, expected = [], [], []
    for _ in range(8):
        a = oracle.instant(data.draw(st.integers(0, last - 1)))
        minutes = data.draw(st.integers(0, oracle.remaining(a)))
        due = oracle.add(a, minutes)
        assert calendar.add(a, timedelta(minutes=minutes)) == due, (a, minutes)
        starts.append(a)
        durations.append(timedelta(minutes=minutes))
        expected.append(due)
    got = calendar.add_many(naive_utc(starts), np.array(durations, dtype="timedelta64[us]"))
    assert got.tolist() == [e.replace(tzinfo=None) for e in expected]


@ORACLE_SETTINGS
@given(scenarios(), st.data())
def test_next_open_and_close_of_business_day_match_oracle(
    scenario: dict[str, Any], data: st.DataObject
) -> None:
    calendar, oracle = build(scenario)
    last = len(oracle.flags)
    a = oracle.instant(data.draw(st.integers(0, last - 1)))
    opens = [k for k in range(oracle.index(a), last) if oracle.flags[k]]
    if opens:
        assert calendar.next_open(a) == oracle.instant(opens[0])
    # Closing instant of a local date = end of its last working minute, if the window sees it.
    zone = calendar.timezone
    day = a.astimezone(zone).date()
    minutes_of_day = [
        k
        for k in range(last)
        if oracle.flags[k] and oracle.instant(k).astimezone(zone).date() == day
    ]
    whole_day_inside = (
        oracle.instant(0).astimezone(zone).date() < day
        and oracle.instant(last - 1).astimezone(zone).date() > day
    )
    if whole_day_inside:
        assert calendar.is_business_day(day) == bool(minutes_of_day)
        if minutes_of_day:
            assert calendar.close_of_business_day(a, 0) == oracle.instant(minutes_of_day[-1] + 1)


# --------------------------------------------------------------------------- invariants

INSTANTS = st.integers(
    int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1_000_000),
    int(datetime(2027, 6, 1, tzinfo=UTC).timestamp() * 1_000_000),
)
DURATIONS = st.integers(0, 5 * 86_400_000_000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@st.composite
def working_calendars(draw: st.DrawFn) -> Calendar:
    kwargs = {k: v for k, v in draw(scenarios()).items() if k != "first"}
    if not kwargs["weekly"].get("wed"):  # some working time every week, so add always ends
        kwargs["weekly"] = {**kwargs["weekly"], "wed": [("09:00", "17:00")]}
    return Calendar(**kwargs)


def at(us: int, calendar: Calendar) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(calendar.timezone)


INVARIANT_SETTINGS = settings(max_examples=80, deadline=None)


@INVARIANT_SETTINGS
@given(working_calendars(), INSTANTS, DURATIONS, DURATIONS)
def test_add_inverts_between_and_is_earliest(
    calendar: Calendar, start_us: int, d1: int, d2: int
) -> None:
    start = at(start_us, calendar)
    for d in (timedelta(microseconds=d1), timedelta(microseconds=d2)):
        due = calendar.add(start, d)
        assert due >= start
        assert calendar.between(start, due) == d
        if d:
            assert calendar.between(start, due - timedelta(microseconds=1)) < d
    small, large = sorted((d1, d2))
    assert calendar.add(start, timedelta(microseconds=small)) <= calendar.add(
        start, timedelta(microseconds=large)
    )


@INVARIANT_SETTINGS
@given(working_calendars(), INSTANTS, INSTANTS, INSTANTS, DURATIONS)
def test_monotone_and_additive(calendar: Calendar, x: int, y: int, z: int, d: int) -> None:
    a, b, c = (at(v, calendar) for v in sorted((x, y, z)))
    assert calendar.between(a, b) + calendar.between(b, c) == calendar.between(a, c)
    assert calendar.between(c, a) == timedelta(0)
    duration = timedelta(microseconds=d)
    assert calendar.add(a, duration) <= calendar.add(b, duration)
    opened = calendar.next_open(a)
    assert calendar.is_open(opened)
    assert calendar.between(a, opened) == timedelta(0)
    assert calendar.is_open(a) == (
        calendar.between(a, a + timedelta(microseconds=1)) > timedelta(0)
    )


@settings(max_examples=40, deadline=None)
@given(
    working_calendars(),
    st.lists(st.tuples(INSTANTS, DURATIONS, INSTANTS), min_size=1, max_size=30),
)
def test_scalar_and_array_versions_agree(
    calendar: Calendar, rows: list[tuple[int, int, int]]
) -> None:
    starts = np.array([r[0] for r in rows], dtype=np.int64).view("datetime64[us]")
    durations = np.array([r[1] for r in rows], dtype=np.int64).view("timedelta64[us]")
    ends = np.array([r[2] for r in rows], dtype=np.int64).view("datetime64[us]")
    dues = calendar.add_many(starts, durations)
    spans = calendar.between_many(starts, ends)
    for (s, d, e), due, span in zip(rows, dues.tolist(), spans.tolist(), strict=True):
        start = at(s, calendar)
        assert calendar.add(start, timedelta(microseconds=d)) == due.replace(tzinfo=UTC)
        assert calendar.between(start, at(e, calendar)) == span
