"""One ``in_force``: every part of the desk agrees which contract holds at an instant.

A contract's last day ends at midnight in its own business hours' zone. The oracle compares
instants (the instant at ``at`` against local midnight after the last day), where the code
compares local dates; the callers — coverage, the chat hand-off, the API's organization, the
customer's plan page, the knowledge base's audience and the case page — must all agree with it,
whoever asks and in whatever zone they sit.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.channels.chat import services as chat
from supportdesk.knowledge.models import Audience
from supportdesk.plans.contracts import in_force
from supportdesk.plans.models import BusinessCalendar, Contract
from supportdesk.tickets import services as cases
from tests.factories import LISBON_WEEKDAYS

ZONES = ["Europe/Lisbon", "Europe/Warsaw", "America/New_York", "Pacific/Auckland", "UTC"]
LAST_DAY = date(2026, 3, 31)  # Europe changes to summer time two days before


def _in_force_by_oracle(zone: str, at: datetime) -> bool:
    start = datetime.combine(date(2020, 1, 1), time(0), ZoneInfo(zone))
    end = datetime.combine(LAST_DAY + timedelta(days=1), time(0), ZoneInfo(zone))
    return start <= at < end


@pytest.fixture
def zoned(world):
    calendars = {
        zone: BusinessCalendar.objects.create(
            slug=f"cal-{i}", timezone=zone, country="", weekly=LISBON_WEEKDAYS
        )
        for i, zone in enumerate(ZONES)
    }
    Contract.objects.filter(organization=world.org).update(end=LAST_DAY)
    return world, calendars


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    zone=st.sampled_from(ZONES),
    viewer_zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=-36 * 60, max_value=36 * 60),
)
def test_every_caller_agrees_on_the_contract_in_force(zoned, client, zone, viewer_zone, minutes):
    world, calendars = zoned
    Contract.objects.filter(organization=world.org).update(calendar=calendars[zone])
    at = datetime.combine(LAST_DAY + timedelta(days=1), time(0), UTC) + timedelta(minutes=minutes)
    expected = _in_force_by_oracle(zone, at)

    assert (in_force(world.org, at) is not None) == expected
    decision = cases.decide_coverage(
        organization=world.org, contact=world.admin, channel="web", received_via="", at=at
    )
    assert (decision.contract is not None) == expected
    assert decision.covered == expected
    assert (chat.current_plan(world.admin, at) is not None) == expected

    world.agent.timezone = viewer_zone
    world.agent.save()
    world.admin.user.timezone = viewer_zone
    world.admin.user.save()
    with time_machine.travel(at, tick=False):
        assert bool(Audience.of(world.admin.user).plans) == expected
        client.force_login(world.admin.user)
        api = client.get(f"/api/organizations/{world.org.slug}").json()
        assert (api["plan"] is not None) == expected
        page = client.get(reverse("my_plan"))
        assert (world.plan.name in page.content.decode()) == expected
