"""The on-site and repair promises with Orange's numbers: 24 hours from the report, whatever
day it is, and 14 days for a repair, counted as 14 × 24 hours of elapsed time (so across the
end of summer time the device is due back an hour earlier on the wall clock)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.billing.models import BreachCredit
from supportdesk.field import services as field
from supportdesk.plans.choices import Metric
from supportdesk.tickets import services
from supportdesk.tickets.choices import EventKind, Level
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case, Event, SlaClock
from tests.field.conftest import Orange

WARSAW = ZoneInfo("Europe/Warsaw")
#: Friday 13 November 2026, 16:00 in Warsaw: the report comes in before a weekend.
FRIDAY_16 = datetime(2026, 11, 13, 16, 0, tzinfo=WARSAW)


def report(orange: Orange, at: datetime, subject: str = "Laptop will not start") -> Case:
    return services.open_case(
        subject=subject,
        body="The screen stays black.",
        channel="phone",
        contact=orange.user,
        asset=orange.laptop,
        at=at,
    )


def clock(case: Case, metric: str) -> SlaClock:
    return SlaClock.objects.get(case=case, metric=metric)


def test_on_site_counts_24_hours_from_the_report_across_the_weekend(orange):
    case = report(orange, FRIDAY_16)
    field.decide_visit(case, actor=orange.agent, at=FRIDAY_16 + timedelta(hours=1))
    on_site = clock(case, Metric.ON_SITE)
    assert on_site.started_at == FRIDAY_16
    assert on_site.due_at == datetime(2026, 11, 14, 16, 0, tzinfo=WARSAW)  # Saturday
    services.post_reply(
        case, author=orange.agent, body="An engineer will come.", at=FRIDAY_16, notify=False
    )
    case.refresh_from_db()
    assert case.next_due == on_site.due_at  # answered: the visit is what the queue waits on

    visit = case.visits.get()
    assert visit.address == "Warszawa, ul. Prosta 1"  # where the laptop is
    saturday_10 = datetime(2026, 11, 14, 10, 0, tzinfo=WARSAW)
    field.schedule_visit(
        visit,
        technician=orange.technician,
        start=saturday_10,
        end=saturday_10 + timedelta(hours=2),
        actor=orange.agent,
        at=FRIDAY_16 + timedelta(hours=2),
    )
    field.arrive(visit, actor=orange.technician, at=saturday_10 + timedelta(minutes=40))
    on_site.refresh_from_db()
    assert on_site.met_at == saturday_10 + timedelta(minutes=40)
    assert on_site.breached_at is None


def test_a_visit_decided_on_monday_for_a_friday_report_is_already_late(orange):
    """Due Saturday 16:00: deciding on Monday breaches at once, escalates and credits."""
    case = report(orange, FRIDAY_16)
    monday_9 = datetime(2026, 11, 16, 9, 0, tzinfo=WARSAW)
    field.decide_visit(case, actor=orange.agent, at=monday_9)
    on_site = clock(case, Metric.ON_SITE)
    saturday_16 = datetime(2026, 11, 14, 16, 0, tzinfo=WARSAW)
    assert on_site.due_at == saturday_16
    assert on_site.breached_at == saturday_16
    case.refresh_from_db()
    assert case.level == Level.L2
    assert BreachCredit.objects.get(case=case).hours == 1
    decided = case.events.get(kind=EventKind.VISIT_NEEDED).pk
    steps = list(case.events.filter(id__gt=decided).order_by("id"))
    assert [e.kind for e in steps[:3]] == [
        EventKind.CLOCK_STARTED,
        EventKind.CLOCK_BREACHED,
        EventKind.ESCALATED,
    ]
    # The engineer still comes: met late, breached once.
    field.arrive(case.visits.get(), actor=orange.technician, at=monday_9 + timedelta(hours=3))
    on_site.refresh_from_db()
    assert on_site.met_at == monday_9 + timedelta(hours=3)
    assert on_site.breached_at == saturday_16
    breaches = case.events.filter(kind=EventKind.CLOCK_BREACHED)
    assert [e.after["metric"] for e in breaches].count(Metric.ON_SITE) == 1


def test_repair_is_14_times_24_hours_across_the_end_of_summer_time(orange):
    """Taken 20 October 10:00 CEST; summer time ends on 25 October; due 3 November 09:00 CET,
    which is 336 hours later (10:00 on the wall clock would be 337)."""
    case = report(orange, datetime(2026, 10, 19, 9, 0, tzinfo=WARSAW))
    taken = datetime(2026, 10, 20, 10, 0, tzinfo=WARSAW)
    field.take_for_repair(case, actor=orange.technician, at=taken)
    repair = clock(case, Metric.REPAIR)
    assert repair.started_at == taken
    assert repair.due_at == datetime(2026, 11, 3, 9, 0, tzinfo=WARSAW)
    assert repair.due_at - taken == timedelta(hours=336)


def test_a_loaner_is_asked_back_when_the_repair_returns_and_stays_out_until_returned(orange):
    case = report(orange, datetime(2026, 10, 19, 9, 0, tzinfo=WARSAW))
    taken = datetime(2026, 10, 20, 10, 0, tzinfo=WARSAW)
    repair = field.take_for_repair(case, actor=orange.technician, at=taken)
    issue = field.issue_loaner(
        case, loaner=orange.loaner, actor=orange.technician, at=taken, disk_moved=True
    )
    assert issue.contact == orange.user  # the laptop's user gets the loaner
    with pytest.raises(CaseError):  # one loaner, one customer at a time
        field.issue_loaner(case, loaner=orange.loaner, actor=orange.agent, at=taken)

    back = datetime(2026, 10, 30, 12, 0, tzinfo=WARSAW)
    field.return_repair(repair, actor=orange.technician, at=back)
    assert clock(case, Metric.REPAIR).met_at == back
    issue.refresh_from_db()
    assert issue.asked_back_at == back and issue.returned_at is None
    mail = case.outbox.get(to="zofia@nowak.pl")
    assert "LN-7" in mail.body and "SN-1234" in mail.subject

    field.return_loaner(issue, actor=orange.agent, at=back + timedelta(days=1))
    issue.refresh_from_db()
    assert issue.returned_at == back + timedelta(days=1)
    kinds = set(case.events.values_list("kind", flat=True))
    assert {
        EventKind.REPAIR_TAKEN,
        EventKind.LOANER_ISSUED,
        EventKind.REPAIR_RETURNED,
        EventKind.LOANER_RETURNED,
    } <= kinds
    # Free again: it can go to the next customer.
    field.issue_loaner(case, loaner=orange.loaner, actor=orange.agent, at=back + timedelta(days=2))


def test_the_sweep_breaches_each_new_clock_once(orange):
    """Both promises running, nobody keeps them: the sweep breaches each at its due instant,
    once, however often it runs (on PostgreSQL with SKIP LOCKED, as the other clocks)."""
    start = datetime(2026, 10, 19, 9, 0, tzinfo=WARSAW).astimezone(UTC)  # elapsed-time sums
    case = report(orange, start)
    field.decide_visit(case, actor=orange.agent, at=start + timedelta(minutes=5))
    field.take_for_repair(case, actor=orange.agent, at=start + timedelta(minutes=10))
    services.post_reply(case, author=orange.agent, body="On our way.", at=start, notify=False)
    later = start + timedelta(days=15)
    assert services.sweep(later) == 2
    assert services.sweep(later + timedelta(days=1)) == 0
    on_site, repair = clock(case, Metric.ON_SITE), clock(case, Metric.REPAIR)
    assert on_site.breached_at == on_site.due_at == start + timedelta(hours=24)
    assert repair.breached_at == repair.due_at == start + timedelta(minutes=10, days=14)
    breaches = Event.objects.filter(case=case, kind=EventKind.CLOCK_BREACHED)
    assert sorted(e.after["metric"] for e in breaches) == [Metric.ON_SITE, Metric.REPAIR]
    assert BreachCredit.objects.get(case=case).hours == 1  # one credit per case, as before


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    received=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    after=st.integers(min_value=0, max_value=3 * 24 * 60),
)
def test_new_clocks_are_due_start_plus_whole_days_of_elapsed_time(orange, received, after):
    """Oracle: on the 'always' calendar a promise of n × 24 h is due n × 86 400 seconds after
    its start, in any zone and across any DST change."""
    received = received.replace(microsecond=0)
    case = report(orange, received)
    decided = received + timedelta(minutes=after)
    field.decide_visit(case, actor=orange.agent, at=decided)
    field.take_for_repair(case, actor=orange.agent, at=decided)
    field.return_repair(case.repairs.get(), actor=orange.agent, at=decided)  # free the laptop
    on_site, repair = clock(case, Metric.ON_SITE), clock(case, Metric.REPAIR)
    assert on_site.due_at.timestamp() == received.timestamp() + 1 * 86_400
    assert repair.due_at.timestamp() == decided.timestamp() + 14 * 86_400
