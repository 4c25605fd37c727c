from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.accounts.models import Agent, Contact, Organization, RegisteredAddress, Team, User
from supportdesk.billing.models import HourPack
from supportdesk.plans.models import BusinessCalendar, Contract, Plan, SlaTarget
from supportdesk.world.loader import load_file

SAMPLE = Path(__file__).with_name("sample_world.yaml")
MODELS = (
    BusinessCalendar,
    Plan,
    SlaTarget,
    Contract,
    HourPack,
    Organization,
    Contact,
    RegisteredAddress,
    User,
    Agent,
    Team,
)


@pytest.fixture
def sample(db):
    """The sample world of sample_world.yaml, loaded through the loader."""
    return load_file(SAMPLE)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model a world file can touch, as plain values."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


class Writes(CaptureQueriesContext):
    """The INSERT/UPDATE/DELETE statements run inside the block."""

    def __init__(self):
        super().__init__(connection)

    @property
    def statements(self) -> list[str]:
        return [
            q["sql"]
            for q in self.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
