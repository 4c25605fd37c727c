"""The status world of the world file's example: a public SIP trunk for everyone and Cliente
B's own PBX, seen by Cliente B's contacts and agents only."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from supportdesk.status import services
from supportdesk.status.choices import Audience
from supportdesk.status.models import Component
from tests.factories import World

#: When the components were set up; incidents in the tests come later.
SINCE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Status:
    trunk: Component
    pbx: Component


@pytest.fixture
def status(world: World) -> Status:
    voice, _ = services.save_group("voice", name="Voice", names={"pt": "Voz", "pl": "Głos"})
    trunk, _ = services.save_component(
        "sip-trunk-lisboa",
        name="SIP trunk Lisbon",
        names={"pt": "Tronco SIP Lisboa"},
        group=voice,
        at=SINCE,
    )
    pbx, _ = services.save_component(
        "pbx-cliente-b",
        name="PBX Cliente B",
        names={"pt": "Central telefónica Cliente B"},
        group=voice,
        audience=Audience.ORGANIZATIONS,
        organizations=[world.org],
        at=SINCE,
    )
    return Status(trunk, pbx)
