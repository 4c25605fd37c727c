"""Promised dates against an oracle that counts business days by hand: weekdays that are not
public holidays of the calendar's country (the ``holidays`` package), after the submission's
local date, each closing at the day's last opening hour."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.plans.choices import Metric
from supportdesk.plans.models import BusinessCalendar
from supportdesk.service_requests import services

WEEKDAYS = {d: ["08:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
CALENDARS = {"PL": "Europe/Warsaw", "PT": "Europe/Lisbon"}


def nth_business_day(country: str, zone: str, at: datetime, n: int) -> date:
    """The ``n``-th weekday after ``at``'s local date that is not a public holiday."""
    day = at.astimezone(ZoneInfo(zone)).date()
    public = holidays.country_holidays(country, years=range(day.year, day.year + 3))
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in public:
            counted += 1
    return day


@pytest.fixture
def calendars(db) -> dict[str, BusinessCalendar]:
    return {
        country: BusinessCalendar.objects.create(
            slug=f"office-{country.lower()}", timezone=zone, country=country, weekly=WEEKDAYS
        )
        for country, zone in CALENDARS.items()
    }


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    country=st.sampled_from(sorted(CALENDARS)),
    at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    low=st.integers(1, 25),
    extra=st.integers(0, 10),
)
def test_a_range_runs_from_the_close_of_the_low_to_the_high_business_day(
    calendars, country, at, low, extra
):
    zone = CALENDARS[country]
    promised = services.promise(calendars[country], at, Metric.COMPLETION, (low, low + extra))

    first = nth_business_day(country, zone, at, low)
    last = nth_business_day(country, zone, at, low + extra)
    assert promised.as_json()["from"] == first.isoformat()
    assert promised.as_json()["to"] == last.isoformat()
    assert promised.end == datetime.combine(last, time(18), ZoneInfo(zone))
    assert promised.start == datetime.combine(first, time(18), ZoneInfo(zone))


@pytest.mark.parametrize(
    ("country", "at", "first", "last"),
    [
        # Polish Easter Monday (6 April 2026) and 1 and 3 May (a Friday and a Sunday).
        ("PL", datetime(2026, 4, 2, 22, 30, tzinfo=UTC), "2026-04-15", "2026-04-17"),
        ("PL", datetime(2026, 4, 27, 7, 0, tzinfo=UTC), "2026-05-07", "2026-05-11"),
        # Portuguese Good Friday (3 April 2026) and 25 April (a Saturday); Corpus Christi and
        # Portugal Day (Thursday 4 and Wednesday 10 June).
        ("PT", datetime(2026, 3, 30, 8, 0, tzinfo=UTC), "2026-04-09", "2026-04-13"),
        ("PT", datetime(2026, 6, 3, 17, 0, tzinfo=UTC), "2026-06-16", "2026-06-18"),
    ],
)
def test_porting_across_public_holidays(calendars, country, at, first, last):
    """The 7th to the 9th business day; 00:30 on Friday 3 April in Warsaw counts from Friday."""
    promised = services.promise(calendars[country], at, Metric.COMPLETION, (7, 9)).as_json()

    assert (promised["from"], promised["to"]) == (first, last)
