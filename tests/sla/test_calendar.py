"""Worked examples for the SLA kernel: the edges the issue names, errors, ranges, arrays."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from supportdesk.sla import Calendar

WARSAW = Calendar("Europe/Warsaw", weekly={}).timezone
NEW_YORK = Calendar("America/New_York", weekly={}).timezone
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {day: [("08:00", "18:00")] for day in WEEKDAYS}
H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)


def waw(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=WARSAW, fold=fold)  # type: ignore[misc]


def nyc(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def office() -> Calendar:
    return Calendar("Europe/Warsaw", OFFICE, country="PL")


# --------------------------------------------------------------------------- the edges


def test_four_business_hours_from_friday_evening_before_a_holiday(office: Calendar) -> None:
    # Friday 2026-04-03 17:55; Monday 04-06 is Easter Monday.
    due = office.add(waw(2026, 4, 3, 17, 55), 4 * H)
    assert due == waw(2026, 4, 7, 11, 55)
    assert office.between(waw(2026, 4, 3, 17, 55), due) == 4 * H


def test_explicit_holiday_list() -> None:
    cal = Calendar("Europe/Warsaw", OFFICE, holidays=[date(2026, 6, 4)])
    assert cal.add(waw(2026, 6, 3, 17, 55), 4 * H) == waw(2026, 6, 5, 11, 55)


def test_target_running_out_at_closing_time_is_due_at_closing_time(office: Calendar) -> None:
    friday = waw(2026, 6, 5, 17, 0)
    assert office.add(friday, H) == waw(2026, 6, 5, 18, 0)  # pandas says Monday 08:00
    assert office.add(friday, H + US) == waw(2026, 6, 8, 8, 0, 0, 1)
    assert not office.is_open(waw(2026, 6, 5, 18, 0))
    assert office.is_open(waw(2026, 6, 5, 17, 59, 59, 999999))


def test_add_zero_returns_start_even_when_closed(office: Calendar) -> None:
    sunday = waw(2026, 6, 7, 12, 0)
    assert office.add(sunday, timedelta(0)) is sunday
    assert office.add(sunday, US) == waw(2026, 6, 8, 8, 0, 0, 1)


def test_microseconds_are_exact(office: Calendar) -> None:
    start = waw(2026, 6, 5, 17, 59, 59, 999_999)
    assert office.add(start, US) == waw(2026, 6, 5, 18, 0)
    assert office.add(start, 2 * US) == waw(2026, 6, 8, 8, 0, 0, 1)
    assert office.between(start, waw(2026, 6, 8, 8, 0, 0, 7)) == 8 * US


def test_result_is_in_the_callers_tzinfo(office: Calendar) -> None:
    due = office.add(utc(2026, 6, 5, 15, 0), H)
    assert due.tzinfo is UTC
    assert due == utc(2026, 6, 5, 16, 0)
    assert office.next_open(nyc(2026, 6, 6, 12, 0)).tzinfo is NEW_YORK


# --------------------------------------------------------------------------- DST


@pytest.mark.parametrize(
    ("zone", "day", "opens", "closes", "hours"),
    [
        ("Europe/Warsaw", date(2026, 3, 29), utc(2026, 3, 28, 23), utc(2026, 3, 29, 2), 3),
        ("Europe/Warsaw", date(2026, 10, 25), utc(2026, 10, 24, 22), utc(2026, 10, 25, 3), 5),
        ("Europe/Warsaw", date(2026, 3, 22), utc(2026, 3, 21, 23), utc(2026, 3, 22, 3), 4),
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 5), utc(2026, 3, 8, 8), 3),
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 4), utc(2026, 11, 1, 9), 5),
    ],
)
def test_night_shift_across_dst_changes(
    zone: str, day: date, opens: datetime, closes: datetime, hours: int
) -> None:
    cal = Calendar(zone, {"sun": [("00:00", "04:00")]})
    assert cal.between(opens - 6 * H, closes + 6 * H) == hours * H
    assert cal.next_open(opens - 3 * H) == opens
    assert cal.add(opens, hours * H) == closes
    assert cal.close_of_business_day(opens + H, 0) == closes
    assert cal.is_business_day(day)


def test_interval_opening_in_the_skipped_hour_opens_at_the_next_clock_reading() -> None:
    cal = Calendar("Europe/Warsaw", {"sun": [("02:30", "05:00")]})
    assert cal.next_open(utc(2026, 3, 29, 0)) == waw(2026, 3, 29, 3, 0)
    assert cal.between(utc(2026, 3, 29, 0), utc(2026, 3, 30, 0)) == 2 * H
    # An interval lying wholly inside the skipped hour leaves no working time that day.
    gone = Calendar("Europe/Warsaw", {"sun": [("02:10", "02:50")]})
    assert gone.between(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)) == timedelta(0)
    assert not gone.is_business_day(date(2026, 3, 29))
    assert gone.is_business_day(date(2026, 3, 22))


def test_repeated_wall_time_is_working_time_both_times() -> None:
    cal = Calendar("Europe/Warsaw", {"sun": [("02:15", "02:45")]})
    assert cal.is_open(waw(2026, 10, 25, 2, 30, fold=0))
    assert cal.is_open(waw(2026, 10, 25, 2, 30, fold=1))
    assert not cal.is_open(utc(2026, 10, 25, 1, 0))  # 02:00 CET, between the two passes
    assert cal.between(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)) == H
    assert cal.add(utc(2026, 10, 25, 0), 45 * M) == utc(2026, 10, 25, 1, 30)
    assert cal.close_of_business_day(utc(2026, 10, 25, 0), 0) == utc(2026, 10, 25, 1, 45)
    ny = Calendar("America/New_York", {"sun": [("01:15", "01:45")]})
    assert ny.between(utc(2026, 11, 1), utc(2026, 11, 2)) == H
    assert ny.is_open(nyc(2026, 11, 1, 1, 20, fold=1))


def test_office_hours_are_not_shifted_by_dst(office: Calendar) -> None:
    # Wall-clock arithmetic would be an hour off across the change; business time is not.
    friday = waw(2026, 3, 27, 17, 0)
    assert office.add(friday, 2 * H) == waw(2026, 3, 30, 9, 0)
    assert office.between(friday, waw(2026, 3, 30, 9, 0)) == 2 * H


def test_always_is_physical_time() -> None:
    cal = Calendar.always()
    start = waw(2026, 3, 28, 12, 0)
    assert cal.add(start, 24 * H) == waw(2026, 3, 29, 13, 0)  # 24 physical hours
    assert cal.between(start, waw(2026, 3, 29, 12, 0)) == 23 * H
    assert cal.is_open(start)
    assert cal.next_open(start) is start
    assert cal.add(utc(2026, 12, 31, 23), 3 * 24 * H) == utc(2027, 1, 3, 23)
    assert cal.between(utc(1950, 1, 1), utc(2150, 1, 1)) == utc(2150, 1, 1) - utc(1950, 1, 1)


def test_time_zone_objects_are_accepted() -> None:
    fixed = Calendar(timezone(timedelta(hours=5, minutes=30)), OFFICE)
    assert fixed.add(utc(2026, 6, 5, 12, 0), H) == utc(2026, 6, 8, 3, 0)  # Fri 17:30 +05:30
    assert Calendar(WARSAW, OFFICE).timezone is WARSAW


# --------------------------------------------------------------------------- 24:00 and days


def test_midnight_end_joins_the_next_day() -> None:
    cal = Calendar("Europe/Warsaw", {"mon": [("20:00", "24:00")], "tue": [("00:00", "02:00")]})
    monday = waw(2026, 6, 1, 19, 0)
    assert cal.between(monday, waw(2026, 6, 2, 3, 0)) == 6 * H
    assert cal.add(waw(2026, 6, 1, 23, 0), 2 * H) == waw(2026, 6, 2, 1, 0)
    assert cal.close_of_business_day(waw(2026, 6, 1, 21, 0), 0) == waw(2026, 6, 2, 0, 0)
    assert cal.close_of_business_day(waw(2026, 6, 1, 21, 0), 1) == waw(2026, 6, 2, 2, 0)


def test_open_intervals_are_maximal_and_clipped(office: Calendar) -> None:
    cal = Calendar("Europe/Warsaw", {"mon": [("20:00", "24:00")], "tue": [("00:00", "02:00")]})
    assert cal.open_intervals(waw(2026, 6, 1, 21), waw(2026, 6, 9, 1)) == [
        (waw(2026, 6, 1, 21), waw(2026, 6, 2, 2)),
        (waw(2026, 6, 8, 20), waw(2026, 6, 9, 1)),
    ]
    assert cal.open_intervals(waw(2026, 6, 9, 1), waw(2026, 6, 1)) == []
    stretches = office.open_intervals(utc(2026, 12, 30), utc(2027, 1, 6))
    assert [(a.day, a.hour, b.day, b.hour) for a, b in stretches] == [
        (30, 7, 30, 17),
        (31, 7, 31, 17),
        (4, 7, 4, 17),
        (5, 7, 5, 17),
    ]  # UTC: 08:00-18:00 CET; 1 and 6 January are holidays in Poland
    always = Calendar.always().open_intervals(utc(2025, 12, 1), utc(2028, 2, 1))
    assert always == [(utc(2025, 12, 1), utc(2028, 2, 1))]


def test_lunch_break_and_touching_intervals() -> None:
    cal = Calendar(
        "Europe/Warsaw",
        {
            "mon": [("13:00", "17:00"), ("08:00", "12:00")],
            "tue": [("08:00", "12:00"), ("12:00", "16:00")],
        },
    )
    assert cal.add(waw(2026, 6, 1, 11, 0), 2 * H) == waw(2026, 6, 1, 14, 0)
    assert not cal.is_open(waw(2026, 6, 1, 12, 30))
    assert cal.between(waw(2026, 6, 2, 0), waw(2026, 6, 3, 0)) == 8 * H


def test_close_of_business_day(office: Calendar) -> None:
    friday = waw(2026, 4, 3, 10, 0)
    assert office.close_of_business_day(friday, 0) == waw(2026, 4, 3, 18, 0)
    assert office.close_of_business_day(friday) == waw(2026, 4, 7, 18, 0)  # Mon is a holiday
    assert office.close_of_business_day(friday, 2) == waw(2026, 4, 8, 18, 0)
    saturday = waw(2026, 4, 4, 10, 0)
    assert office.close_of_business_day(saturday, 0) == waw(2026, 4, 7, 18, 0)
    assert office.close_of_business_day(saturday, 1) == waw(2026, 4, 7, 18, 0)
    # The local date counts: 22:30 UTC on Friday is already Saturday in Warsaw.
    assert office.close_of_business_day(utc(2026, 4, 3, 22, 30), 0) == waw(2026, 4, 7, 18, 0)
    # Across New Year and many years on.
    assert office.close_of_business_day(waw(2026, 12, 30, 9, 0), 2) == waw(2027, 1, 4, 18, 0)
    assert office.close_of_business_day(waw(2026, 1, 5, 9, 0), 2500).year == 2035
    with pytest.raises(ValueError, match="n must be"):
        office.close_of_business_day(friday, -1)


def test_exceptions_override_weekdays_and_holidays(office: Calendar) -> None:
    cal = Calendar(
        "Europe/Warsaw",
        OFFICE,
        country="PL",
        exceptions={
            date(2026, 12, 24): [("08:00", "13:00")],  # a public holiday in PL since 2025
            date(2026, 8, 14): [],
            date(2026, 8, 15): [("10:00", "12:00")],  # Saturday and Assumption Day
        },
    )
    assert not office.is_open(waw(2026, 12, 24, 10, 0))
    assert cal.is_open(waw(2026, 12, 24, 10, 0))
    assert not cal.is_open(waw(2026, 12, 24, 14, 0))
    assert office.is_open(waw(2026, 8, 14, 10, 0))
    assert not cal.is_open(waw(2026, 8, 14, 10, 0))
    assert cal.add(waw(2026, 8, 13, 17, 0), 2 * H) == waw(2026, 8, 15, 11, 0)


def test_public_holidays_for_every_year_touched() -> None:
    daily = Calendar(
        "Europe/Warsaw", {d: [("08:00", "18:00")] for d in (*WEEKDAYS, "sat", "sun")}, country="PL"
    )
    for year in (1950, 2026, 2099):
        assert not daily.is_business_day(date(year, 12, 25))
        assert not daily.is_business_day(date(year, 12, 26))
        assert daily.is_business_day(date(year, 12, 27))
    us = Calendar("America/New_York", OFFICE, country="US", subdivision="NY")
    assert not us.is_open(nyc(2026, 7, 3, 12))  # Independence Day observed on Friday
    assert us.is_open(nyc(2026, 7, 2, 12))


def test_any_date_from_1900_to_2200(office: Calendar) -> None:
    assert office.add(waw(1900, 1, 2, 17, 0), 2 * H) == waw(1900, 1, 3, 9, 0)
    # `holidays` stops at 2100, so 2201-01-01 (a Thursday) is an ordinary working day.
    assert office.add(waw(2200, 12, 31, 17, 0), 2 * H) == waw(2201, 1, 1, 9, 0)
    assert office.between(waw(1900, 1, 1), waw(2200, 12, 31)) > timedelta(days=30_000)
    with pytest.raises(ValueError, match="supported range"):
        office.add(waw(1850, 1, 1), H)
    with pytest.raises(ValueError, match="supported range"):
        office.add(waw(2200, 6, 1), timedelta(days=2000))


def test_long_spans_sum_the_years(office: Calendar) -> None:
    total = office.between(utc(1950, 1, 1), utc(2150, 1, 1))
    parts = sum(
        (office.between(utc(y, 1, 1), utc(y + 1, 1, 1)) for y in range(1950, 2150)), timedelta(0)
    )
    assert total == parts
    arr = office.between_many(
        np.array(["1950-01-01"], dtype="datetime64[us]"),
        np.array(["2150-01-01"], dtype="datetime64[us]"),
    )
    assert arr[0] == np.timedelta64(total)
    start = utc(1990, 5, 5, 12)
    assert office.between(start, office.add(start, total)) == total


def test_memory_stays_bounded_over_centuries() -> None:
    tracemalloc.start()
    try:
        cal = Calendar("Europe/Warsaw", OFFICE, country="PL")
        base = tracemalloc.get_traced_memory()[0]
        for year in range(1900, 2201):
            cal.add(utc(year, 3, 1, 12), 30 * H)
        cal.between(utc(1900, 1, 2), utc(2200, 12, 30))
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < 3_000_000, grown


def test_no_django_import() -> None:
    code = (
        "import sys, supportdesk.sla;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django');"
        "sys.exit(f'django imported: {bad}' if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add(datetime(2026, 6, 1, 9), H),
        lambda c: c.between(datetime(2026, 6, 1, 9), utc(2026, 6, 2)),
        lambda c: c.between(utc(2026, 6, 1), datetime(2026, 6, 2)),
        lambda c: c.is_open(datetime(2026, 6, 1, 9)),
        lambda c: c.next_open(datetime(2026, 6, 1, 9)),
        lambda c: c.close_of_business_day(datetime(2026, 6, 1, 9)),
        lambda c: c.add_many([datetime(2026, 6, 1, 9)], [H]),
        lambda c: c.add(utc(2026, 6, 1), 3600),
        lambda c: c.add("2026-06-01T09:00Z", H),
    ],
)
def test_naive_or_wrong_types_raise_type_error(office: Calendar, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=r"aware datetime|timedelta"):
        call(office)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons"),
        ({"timezone": ""}, "time zone"),
        ({"country": "XX"}, "XX"),
        ({"country": "PL", "subdivision": "ZZ"}, "ZZ"),
        ({"subdivision": "NY"}, "without a country"),
        ({"weekly": {"mon": [("8:00", "18:00")]}}, r"weekly\['mon'\].*'8:00'"),
        ({"weekly": {"tue": [("08:00", "25:00")]}}, r"tue.*25:00"),
        ({"weekly": {"tue": [("08:60", "12:00")]}}, r"tue.*08:60"),
        ({"weekly": {"tue": [("24:00", "24:00")]}}, "tue"),
        ({"weekly": {"wed": [("08:00", "24:30")]}}, r"wed.*24:30"),
        ({"weekly": {"thu": [("18:00", "08:00")]}}, r"thu.*18:00-08:00.*reversed"),
        ({"weekly": {"fri": [("08:00", "08:00")]}}, "fri.*empty"),
        ({"weekly": {"sat": [("08:00", "12:00"), ("11:00", "14:00")]}}, "sat.*overlap"),
        ({"weekly": {"funday": [("08:00", "12:00")]}}, "funday"),
        ({"weekly": {"mon": "08:00-18:00"}}, "mon"),
        ({"weekly": {"mon": [("08:00",)]}}, "mon"),
        (
            {"exceptions": {date(2026, 12, 24): [("08:00", "13:00"), ("12:00", "14:00")]}},
            r"2026-12-24.*overlap",
        ),
        ({"exceptions": {date(2026, 12, 24): [("13:00", "08:00")]}}, "2026-12-24.*reversed"),
    ],
)
def test_bad_configuration_raises_value_error_naming_it(kwargs: dict, message: str) -> None:
    args = {"timezone": "Europe/Warsaw", "weekly": OFFICE, **kwargs}
    with pytest.raises(ValueError, match=message):
        Calendar(**args)


def test_datetimes_where_dates_belong_raise_type_error() -> None:
    with pytest.raises(TypeError, match="holidays"):
        Calendar("UTC", OFFICE, holidays=[utc(2026, 1, 1)])
    with pytest.raises(TypeError, match="exceptions"):
        Calendar("UTC", OFFICE, exceptions={utc(2026, 1, 1): []})


def test_negative_duration_raises(office: Calendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        office.add(utc(2026, 6, 1), -H)
    with pytest.raises(ValueError, match="negative"):
        office.add_many(
            np.array(["2026-06-01"], "datetime64[us]"), np.array([-1], "timedelta64[s]")
        )


def test_calendar_without_working_time_raises_instead_of_hanging() -> None:
    empty = Calendar("Europe/Warsaw", {}, exceptions={date(2026, 5, 5): []})
    began = time.perf_counter()
    with pytest.raises(ValueError, match="no working time"):
        empty.add(utc(2026, 6, 1), M)
    with pytest.raises(ValueError, match="no working time"):
        empty.add_many(np.array(["2026-06-01"], "datetime64[us]"), np.array([1], "timedelta64[m]"))
    with pytest.raises(ValueError, match="no working time"):
        empty.next_open(utc(2026, 6, 1))
    with pytest.raises(ValueError, match="no working time"):
        empty.close_of_business_day(utc(2026, 6, 1))
    assert time.perf_counter() - began < 1.0
    assert empty.between(utc(2026, 1, 1), utc(2027, 1, 1)) == timedelta(0)
    assert empty.add(utc(2026, 6, 1), timedelta(0)) == utc(2026, 6, 1)
    assert not empty.is_open(utc(2026, 6, 1, 12))


def test_working_time_only_on_exception_dates() -> None:
    cal = Calendar("UTC", {}, exceptions={date(2026, 5, 5): [("09:00", "10:00")]})
    assert cal.add(utc(2026, 1, 1), 30 * M) == utc(2026, 5, 5, 9, 30)
    assert cal.close_of_business_day(utc(2026, 1, 1), 1) == utc(2026, 5, 5, 10)
    began = time.perf_counter()
    with pytest.raises(ValueError, match="no working time after"):
        cal.add(utc(2026, 5, 5, 9, 30), 31 * M)
    with pytest.raises(ValueError, match="no working time after"):
        cal.next_open(utc(2026, 5, 5, 10))
    assert time.perf_counter() - began < 1.0


# --------------------------------------------------------------------------- arrays


def test_array_api_shapes_and_types(office: Calendar) -> None:
    starts = np.array(["2026-06-05T15:00", "2026-06-05T15:30"], dtype="datetime64[ns]")
    durations = np.array([60, 60], dtype="timedelta64[m]")
    dues = office.add_many(starts, durations)
    assert dues.dtype == np.dtype("datetime64[us]")
    assert dues.tolist() == [datetime(2026, 6, 5, 16, 0), datetime(2026, 6, 8, 6, 30)]
    spans = office.between_many(starts, dues)
    assert spans.dtype == np.dtype("timedelta64[us]")
    assert (spans == durations).all()
    # Aware datetimes and timedeltas in plain lists are accepted too.
    listed = office.add_many([waw(2026, 6, 5, 17), utc(2026, 6, 5, 15, 30)], [H, H])
    assert (listed == dues).all()
    grid = office.add_many(starts.reshape(2, 1), durations.reshape(2, 1))
    assert grid.shape == (2, 1)
    assert (
        office.add_many(np.array([], "datetime64[us]"), np.array([], "timedelta64[us]")).size == 0
    )
    with pytest.raises(ValueError, match="shape"):
        office.add_many(starts, durations[:1])
    with pytest.raises(ValueError, match="NaT"):
        office.add_many(np.array(["NaT"], "datetime64[us]"), durations[:1])
    with pytest.raises(ValueError, match="NaT"):
        office.between_many(starts[:1], np.array(["NaT"], "datetime64[us]"))
    with pytest.raises(TypeError, match="datetime64"):
        office.add_many(np.array([1.5]), durations[:1])


def test_array_targets_far_beyond_the_first_window(office: Calendar) -> None:
    starts = np.array(["2026-06-05T15:00", "2026-06-05T15:00"], dtype="datetime64[us]")
    durations = np.array([1, 30_000], dtype="timedelta64[h]")  # 30,000 h: about 12 years
    dues = office.add_many(starts, durations)
    scalar = office.add(utc(2026, 6, 5, 15), timedelta(hours=30_000))
    assert dues[1] == np.datetime64(scalar.replace(tzinfo=None))
    assert office.between_many(starts, dues).tolist() == [H, timedelta(hours=30_000)]
