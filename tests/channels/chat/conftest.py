"""Chat fixtures: the test world with live chat for administrators only, and the demo KB.

In the named world Ana (admin) has live chat under the plan's ``chat_l1`` entitlement and
Bruno (member) has not, so one world shows both hand-offs.
"""

import pytest

from supportdesk.knowledge import demo, index


@pytest.fixture(autouse=True)
def _fresh_index():
    index.forget()
    yield
    index.forget()


def grant_live_chat(world) -> None:
    world.plan.entitlements = {"chat_l1": ["admin"], "ticket_l1": ["admin", "member"]}
    world.plan.save(update_fields=["entitlements"])


@pytest.fixture
def chat_world(world):
    grant_live_chat(world)
    demo.load_demo_kb()
    return world
