"""Rule 1: entries with a start and an end per agent, never overlapping, never reversed, refused
with a stable code and a message a person can act on; the case page's timer."""

from datetime import timedelta
from decimal import Decimal

import pytest

from supportdesk.accounts.services import save_agent
from supportdesk.billing import services
from supportdesk.billing.choices import PackKind
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.models import TimeEntry
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


def refused(code: BillingErrorCode, call, *args, **kwargs) -> BillingError:
    with pytest.raises(BillingError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


def test_an_entry_may_not_end_before_it_starts(bw, case):
    error = refused(
        BillingErrorCode.END_BEFORE_START,
        services.record_work,
        case,
        bw.agent,
        at("2026-03-02 11:00"),
        at("2026-03-02 10:00"),
    )
    assert "before it starts" in error.message and error.field == "end"
    assert not TimeEntry.objects.exists()


def test_zero_length_entries_are_kept(bw, case):
    entry = services.record_work(case, bw.agent, at("2026-03-02 10:00"), at("2026-03-02 10:00"))
    assert entry.start == entry.end


def test_entries_of_one_agent_may_not_overlap(bw, case, work):
    work("2026-03-02 10:00", "2026-03-02 11:00")
    for start, end in [
        ("2026-03-02 10:30", "2026-03-02 11:30"),
        ("2026-03-02 09:30", "2026-03-02 10:01"),
        ("2026-03-02 09:00", "2026-03-02 12:00"),
        ("2026-03-02 10:15", "2026-03-02 10:45"),
        ("2026-03-02 10:30", "2026-03-02 10:30"),  # an instant inside it
    ]:
        error = refused(
            BillingErrorCode.OVERLAP, services.record_work, case, bw.agent, at(start), at(end)
        )
        assert "WP-1" in error.message and "overlap" in error.message
    work("2026-03-02 11:00", "2026-03-02 11:30")  # touching is fine
    work("2026-03-02 09:30", "2026-03-02 10:00")
    assert TimeEntry.objects.count() == 3


def test_two_agents_may_work_at_the_same_time(bw, case, work):
    other = save_agent(name="Marta", email="marta@webplug.example", level="L2").user
    work("2026-03-02 10:00", "2026-03-02 11:00")
    work("2026-03-02 10:00", "2026-03-02 11:00", by=other)
    assert TimeEntry.objects.count() == 2


def test_only_agents_record_time(bw, case):
    refused(
        BillingErrorCode.NOT_AN_AGENT,
        services.record_work,
        case,
        bw.admin.user,
        at("2026-03-02 10:00"),
        at("2026-03-02 11:00"),
    )


def test_naive_times_are_refused(bw, case):
    from datetime import datetime

    refused(
        BillingErrorCode.INVALID,
        services.record_work,
        case,
        bw.agent,
        datetime(2026, 3, 2, 10),
        at("2026-03-02 11:00"),
    )


def test_seconds_are_dropped_so_minutes_are_whole(bw, case):
    entry = services.record_work(
        case, bw.agent, at("2026-03-02 10:00:59"), at("2026-03-02 10:15:30")
    )
    assert (entry.start, entry.end) == (at("2026-03-02 10:00"), at("2026-03-02 10:15"))


def test_timer_runs_stops_and_bills_like_an_entry(bw, case):
    entry = services.start_timer(case, bw.agent, at=at("2026-03-02 10:00:12"))
    assert entry.end is None and entry.source == "timer"
    refused(BillingErrorCode.TIMER_RUNNING, services.start_timer, case, bw.agent)
    refused(  # typed work after the timer started would overlap it
        BillingErrorCode.OVERLAP,
        services.record_work,
        case,
        bw.agent,
        at("2026-03-02 10:30"),
        at("2026-03-02 10:40"),
    )
    stopped = services.stop_timer(bw.agent, at=at("2026-03-02 10:20:50"))
    assert stopped.pk == entry.pk and stopped.end == at("2026-03-02 10:20")
    refused(BillingErrorCode.NO_TIMER, services.stop_timer, bw.agent)


def test_timer_cannot_stop_before_it_started(bw, case):
    services.start_timer(case, bw.agent, at=at("2026-03-02 10:00"))
    refused(
        BillingErrorCode.END_BEFORE_START,
        services.stop_timer,
        bw.agent,
        at=at("2026-03-02 09:59"),
    )


def test_timer_cannot_start_inside_recorded_work(bw, case, work):
    work("2026-03-02 10:00", "2026-03-02 11:00")
    refused(
        BillingErrorCode.OVERLAP, services.start_timer, case, bw.agent, at=at("2026-03-02 10:30")
    )
    services.start_timer(case, bw.agent, at=at("2026-03-02 11:00"))


def test_a_discarded_timer_leaves_nothing(bw, case):
    services.start_timer(case, bw.agent, at=at("2026-03-02 10:00"))
    services.discard_timer(bw.agent)
    assert not TimeEntry.objects.exists()
    refused(BillingErrorCode.NO_TIMER, services.discard_timer, bw.agent)


def test_the_entry_is_billed_to_the_cases_organization(bw, case, work):
    entry = work("2026-03-02 10:00", "2026-03-02 11:00")
    assert entry.organization == bw.org


def test_packs_are_checked(bw):
    from datetime import date

    refused(
        BillingErrorCode.INVALID,
        services.add_pack,
        bw.org,
        kind=PackKind.SINGLE,
        hours=Decimal("0"),
        purchased=date(2026, 1, 1),
    )
    refused(
        BillingErrorCode.INVALID,
        services.add_pack,
        bw.org,
        kind=PackKind.MONTHLY,
        hours=Decimal("2"),
        purchased=date(2026, 1, 1),
    )
    pack = services.add_pack(
        bw.org, kind=PackKind.MONTHLY, hours=Decimal("2"), start_month=date(2026, 1, 15)
    )
    assert pack.start_month == date(2026, 1, 1)
    again = services.add_pack(
        bw.org, kind=PackKind.MONTHLY, hours=Decimal("3"), start_month=date(2026, 1, 1)
    )
    assert again.pk == pack.pk and again.hours == Decimal("3")


def test_running_timers_are_not_billed(bw, case):
    from datetime import date

    from supportdesk.billing.statement import build_statement

    services.start_timer(case, bw.agent, at=at("2026-03-02 10:00"))
    assert build_statement(bw.org, date(2026, 3, 1)).entries == []
    services.stop_timer(bw.agent, at=at("2026-03-02 10:00") + timedelta(minutes=20))
    (line,) = build_statement(bw.org, date(2026, 3, 1)).entries
    assert line.billed_in_hours_minutes == 30


def test_recorded_and_removed_time_is_in_the_case_history(bw, case):
    from supportdesk.tickets.models import Event

    entry = services.record_work(case, bw.agent, at("2026-03-02 10:00"), at("2026-03-02 11:00"))
    services.delete_entry(entry, actor=bw.agent)
    recorded, removed = Event.objects.filter(case=case, kind__in=["work", "work_removed"])
    assert recorded.kind == "work" and recorded.after["end"] == "2026-03-02T11:00:00+00:00"
    assert removed.kind == "work_removed" and removed.before["start"].startswith("2026-03-02T10")
