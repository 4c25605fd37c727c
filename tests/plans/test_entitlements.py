"""The matrix a plan page shows is the matrix the desk acts on, for any matrix a plan declares.

The oracle below is the reading rule as the plan's world file documents it, written again
independently: a declared key belongs to the roles it lists; an undeclared way in (web case,
email, phone) is open to everyone at Level 1 unless one of its levels is declared; direct
Level 2 and live chat only where granted; anything else undeclared is open to everyone.
"""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.accounts.services import save_contact
from supportdesk.channels.chat import services as chat
from supportdesk.knowledge.models import Audience
from supportdesk.plans.choices import Entitlement
from supportdesk.plans.matrix import ROLES, entitlement_rows
from supportdesk.tickets import services

KEYS = Entitlement.values
WAYS = {"ticket": ("ticket_l1", "ticket_l2"), "email": ("email_l1", "email_l2")}
WAYS |= {"phone": ("phone_l1", "phone_l2"), "chat": ("chat_l1", "chat_l2")}
GRANTED_ONLY = {"live_chat", "chat_l1", "chat_l2", "ticket_l2", "email_l2", "phone_l2"}

matrices = st.dictionaries(
    st.sampled_from(KEYS), st.lists(st.sampled_from([r.value for r in ROLES]), unique=True)
)


def oracle(declared: dict[str, list[str]], key: str, role: str) -> bool:
    if key in declared:
        return role in declared[key]
    if key in GRANTED_ONLY:
        return False
    for levels in WAYS.values():
        if key in levels:
            return not any(level in declared for level in levels)
    return True


def level_shown(ticked: dict[str, bool], way: str) -> str | None:
    level_1, level_2 = WAYS[way]
    return "L2" if ticked[level_2] else "L1" if ticked[level_1] else None


@pytest.fixture
def people(world):
    licensed = save_contact(
        world.org, name="Carla Dias", role="licensed_member", email="carla@cliente-b.pt"
    )
    return {"admin": world.admin, "member": world.member, "licensed_member": licensed}


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(declared=matrices)
def test_what_the_plan_page_shows_is_what_every_way_in_decides(world, people, client, declared):
    world.plan.entitlements = declared
    world.plan.save(update_fields=["entitlements"])
    rows = {row.key: row for row in entitlement_rows(world.plan)}
    assert set(KEYS) <= set(rows)
    for column, role in enumerate(r.value for r in ROLES):
        contact = people[role]
        ticked = {key: rows[key].granted[column] for key in KEYS}
        assert ticked == {key: oracle(declared, key, role) for key in KEYS}, role

        # Email and phone: received always; covered, and at which level, as shown.
        for channel in ("email", "phone"):
            case = services.open_case(subject="s", body="b", channel=channel, contact=contact)
            shown = level_shown(ticked, channel)
            assert case.covered == (shown is not None), (role, channel)
            assert case.level == (shown or "L1"), (role, channel)
            if shown is None:
                reason = (case.coverage_code, case.coverage_param)
                assert reason == ("not_entitled", f"{channel}_l1"), (role, channel)

        # The portal opens the form exactly to the roles shown a web-case level.
        client.force_login(contact.user)
        page = client.get(reverse("new_case"))
        assert page.status_code == (200 if level_shown(ticked, "ticket") else 403), role

        # Chat: a person live where a chat level is shown; a case, leveled as a web case, else.
        live = level_shown(ticked, "chat")
        assert chat.entitlement(contact).live == (live is not None), role
        case = services.open_case(subject="s", body="b", channel="chat", contact=contact)
        as_case = live or level_shown(ticked, "ticket")
        assert (case.covered, case.level) == (as_case is not None, as_case or "L1"), role

        # The help centre's customer articles.
        assert Audience.of(contact.user).customer == ticked["help_center"], role


@pytest.mark.django_db
def test_a_plan_without_a_matrix_restricts_nothing_and_grants_no_level_2(world, client):
    assert world.plan.entitlements == {}
    rows = {row.key: row.granted for row in entitlement_rows(world.plan)}
    for key in ("help_center", "self_service", "chatbot", "ticket_l1", "email_l1", "phone_l1"):
        assert rows[key] == [True, True, True], key
    for key in ("ticket_l2", "email_l2", "phone_l2", "chat_l1", "chat_l2", "live_chat"):
        assert rows[key] == [False, False, False], key
    client.force_login(world.member.user)
    assert client.get(reverse("new_case")).status_code == 200
    case = services.open_case(subject="s", body="b", channel="email", contact=world.admin)
    assert case.covered and case.level == "L1"
    assert not case.events.filter(kind="direct_level_2").exists()
