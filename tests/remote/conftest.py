from datetime import UTC, datetime

import pytest

from supportdesk.tickets import services as cases
from supportdesk.tickets.models import Case

#: A Monday morning in Lisbon (UTC+0 in March).
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def case(world) -> Case:
    """Ana's case (she is Cliente B's administrator, with a mobile number)."""
    return cases.open_case(
        subject="Outlook crashes on start",
        body="Since the update.",
        channel="web",
        contact=world.admin,
        at=T0,
    )
