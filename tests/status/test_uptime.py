"""Daily uptime is arithmetic: checked against an oracle that walks the history minute by
minute and asks each minute's local date, so DST days of 23 and 25 hours come for free."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.status.choices import OUTAGES, SEVERITY, ComponentStatus
from supportdesk.status.uptime import daily, overall

ZONES = [ZoneInfo(z) for z in ("UTC", "Europe/Lisbon", "Europe/Warsaw", "America/Sao_Paulo")]
#: Around Europe's DST changes of March and October 2026.
ENDS = [datetime(2026, 3, 30, 10, 17, tzinfo=UTC), datetime(2026, 10, 26, 23, 59, tzinfo=UTC)]
STATUSES = list(ComponentStatus)


def oracle(history, end, zone, days):
    """Minute by minute: the status in force is the last change at or before the minute."""
    last = end.astimezone(zone).date()
    first = last - timedelta(days=days - 1)
    worst: dict = {}
    recorded: dict = {}
    outage: dict = {}
    minute = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    minute -= timedelta(hours=30)  # well before the first local midnight; skipped below
    while minute < end:
        day = minute.astimezone(zone).date()
        in_force = [status for at, status in history if at <= minute]
        if first <= day <= last and in_force:
            status = in_force[-1]
            if day not in worst or SEVERITY[status] > SEVERITY[worst[day]]:
                worst[day] = status
            recorded[day] = recorded.get(day, 0) + 60
            outage[day] = outage.get(day, 0) + (60 if status in OUTAGES else 0)
        minute += timedelta(minutes=1)
    return worst, recorded, outage


@st.composite
def histories(draw):
    end = draw(st.sampled_from(ENDS))
    zone = draw(st.sampled_from(ZONES))
    days = draw(st.integers(min_value=1, max_value=3))
    span = (days + 2) * 24 * 60
    offsets = sorted(draw(st.lists(st.integers(0, span), max_size=8)))
    start = end - timedelta(minutes=span)
    history = [(start + timedelta(minutes=m), draw(st.sampled_from(STATUSES))) for m in offsets]
    return history, end, zone, days


@settings(max_examples=60, deadline=None)
@given(histories())
def test_daily_worst_status_and_uptime_agree_with_a_minute_walk(case):
    history, end, zone, days = case
    found = daily(history, end=end, zone=zone, days=days)
    worst, recorded, outage = oracle(history, end, zone, days)
    assert [d.date for d in found] == sorted(
        {end.astimezone(zone).date() - timedelta(days=n) for n in range(days)}
    )
    for day in found:
        assert day.worst == worst.get(day.date), day.date
        assert day.recorded.total_seconds() == recorded.get(day.date, 0), day.date
        assert day.outage.total_seconds() == outage.get(day.date, 0), day.date


def test_a_dst_day_has_23_hours_and_a_short_outage_still_colours_it():
    lisbon = ZoneInfo("Europe/Lisbon")
    start = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # before the change on 29 March
    blip = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    history = [
        (start, ComponentStatus.OPERATIONAL),
        (blip, ComponentStatus.MAJOR_OUTAGE),
        (blip + timedelta(seconds=30), ComponentStatus.OPERATIONAL),
    ]
    days = daily(history, end=datetime(2026, 3, 30, 0, 0, tzinfo=UTC), zone=lisbon, days=3)
    change_day = days[1]
    assert change_day.recorded == timedelta(hours=23)
    assert change_day.worst == ComponentStatus.MAJOR_OUTAGE
    assert change_day.outage == timedelta(seconds=30)
    assert days[0].worst == ComponentStatus.OPERATIONAL
    assert overall(days) == 1 - 30 / sum(d.recorded.total_seconds() for d in days)


def test_days_before_the_first_record_have_no_data():
    end = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    days = daily([(end - timedelta(hours=2), ComponentStatus.OPERATIONAL)], end=end, zone=UTC)
    assert len(days) == 90
    assert all(d.worst is None and d.uptime is None for d in days[:-1])
    assert days[-1].uptime == 1
