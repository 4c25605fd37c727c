"""A plan sold across regions promises business hours in the customer's region (MeetWave: "the
customer's region except P1"): a contract may name its own calendar, and then the clocks, the
bill's in-hours blocks and the API all count that calendar instead of the plan's.

The test plan counts Lisbon (09:00-13:00, 14:00-18:00, Portuguese holidays); the contract here
names Warsaw (Mon-Fri 08:00-18:00, Polish holidays). Wednesday 11 November 2026 is Poland's
Independence Day and a working day in Portugal; both zones are on winter time (UTC+0, UTC+1).
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from supportdesk.accounts.services import issue_token
from supportdesk.billing import services as billing
from supportdesk.billing.statement import build_statement
from supportdesk.channels.email.outgoing import acknowledgement_text
from supportdesk.plans.models import BusinessCalendar, Contract
from supportdesk.tickets import services

WARSAW_WEEKDAYS = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
HOLIDAY_1000_WARSAW = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)


@pytest.fixture
def warsaw(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(
        slug="pl-warsaw", timezone="Europe/Warsaw", country="PL", weekly=WARSAW_WEEKDAYS
    )
    Contract.objects.filter(organization=world.org).update(calendar=calendar)
    return calendar


def open_case(world, priority="P3"):
    return services.open_case(
        subject="Kamera nie działa",
        body="Od rana.",
        channel="web",
        contact=world.admin,
        priority=priority,
        at=HOLIDAY_1000_WARSAW,
    )


def clocks(case):
    return {c.metric: c for c in case.clocks.select_related("calendar")}


@pytest.mark.django_db
def test_clocks_count_the_contracts_region_not_the_plans(world, warsaw):
    running = clocks(open_case(world))
    assert {c.calendar for c in running.values()} == {warsaw}
    # Closed for the holiday; Thursday 08:00 Warsaw (07:00 UTC) + 4 h = 11:00 UTC.
    assert running["first_response"].due_at == datetime(2026, 11, 12, 11, 0, tzinfo=UTC)
    # 16 h: Thursday's 10 h, then Friday 08:00 + 6 h = 14:00 Warsaw, 13:00 UTC.
    assert running["restoration"].due_at == datetime(2026, 11, 13, 13, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_without_a_region_the_plans_calendar_counts(world):
    running = clocks(open_case(world))
    assert {c.calendar for c in running.values()} == {world.calendar}
    # Lisbon works on 11 November: 09:00-13:00 is the 4 hours.
    assert running["first_response"].due_at == datetime(2026, 11, 11, 13, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_p1_still_runs_around_the_clock_and_a_priority_change_keeps_the_region(world, warsaw):
    case = open_case(world, priority="P1")
    assert clocks(case)["restoration"].calendar is None
    assert clocks(case)["restoration"].due_at == HOLIDAY_1000_WARSAW + timedelta(hours=4)
    case = services.change_priority(
        case, "P2", actor=world.agent, at=HOLIDAY_1000_WARSAW + timedelta(minutes=30)
    )
    restoration = clocks(case)["restoration"]
    assert restoration.calendar == warsaw
    assert restoration.due_at == datetime(2026, 11, 13, 13, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_work_on_the_regions_holiday_is_billed_out_of_hours(world, warsaw):
    case = open_case(world)
    start = HOLIDAY_1000_WARSAW + timedelta(minutes=10)
    billing.record_work(case, world.agent, start, start + timedelta(minutes=40), True)
    (line,) = build_statement(world.org, date(2026, 11, 1)).entries
    assert (line.in_hours_minutes, line.out_of_hours_minutes) == (0, 40)
    assert (line.billed_in_hours_minutes, line.billed_out_of_hours_minutes) == (0, 60)


@pytest.mark.django_db
def test_the_api_names_the_hours_an_organization_is_promised(world, warsaw):
    token = issue_token(world.admin.user, "script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.get(f"/api/organizations/{world.org.slug}").json()
    assert body["contract"]["calendar"] == "pl-warsaw"
    other = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.agent, 'desk')}")
    assert other.get("/api/organizations/outra").json()["contract"]["calendar"] == "pt-lisbon"


@pytest.mark.django_db
def test_the_acknowledgement_promises_in_the_regions_time(world, warsaw):
    _subject, body = acknowledgement_text(open_case(world), "en")
    assert "12:00 (Europe/Warsaw)" in body  # Thursday 12 November, 11:00 UTC
