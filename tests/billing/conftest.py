"""Billing fixtures: the named world of ``tests.factories`` with WebPlug's billing terms.

The plan bills 15-minute blocks in business hours (Lisbon, 09:00-13:00 and 14:00-18:00 on
weekdays) and 30-minute blocks outside them, at 60.00 and 90.00 EUR an hour.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from supportdesk.billing import services
from supportdesk.tickets import services as case_services
from tests.factories import World


def at(text: str) -> datetime:
    """``"2026-03-02 17:50"`` as a UTC instant (Lisbon is on UTC in winter)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def bw(world: World) -> World:
    world.plan.rate_in_hours = Decimal("60.00")
    world.plan.rate_out_of_hours = Decimal("90.00")
    world.plan.save()
    return world


@pytest.fixture
def case(bw: World):
    return new_case(bw, "WP-1")


def new_case(world: World, reference: str, when: str = "2026-01-02 10:00"):
    return case_services.open_case(
        subject="Servidor em baixo",
        body="Não arranca.",
        channel="web",
        contact=world.admin,
        reference=reference,
        at=at(when),
    )


@pytest.fixture
def work(bw: World, case):
    """Record work: ``work("2026-03-02 17:50", "2026-03-02 18:10", billable=True)``."""

    def record(start: str, end: str, billable: bool = True, on=None, by=None):
        return services.record_work(on or case, by or bw.agent, at(start), at(end), billable)

    return record
