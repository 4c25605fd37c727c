"""The world file's ``status:`` section on its own: read, its references checked, applied
twice with the second load changing nothing."""

import pytest
from pydantic import ValidationError

from supportdesk.status.choices import Audience
from supportdesk.status.models import Component
from supportdesk.world.fields import data, problems
from supportdesk.world.loader import LoadReport
from supportdesk.world.source import parse
from supportdesk.world.status import (
    StatusSection,
    apply_status,
    check_status_references,
    status_spec,
)
from tests.factories import World

SECTION = """
groups: {voice: {name: {pt: Voz, pl: Głos, en: Voice}}}
components:
  sip-trunk-lisboa: {name: {pt: "Tronco SIP Lisboa", en: "SIP trunk Lisbon"}, group: voice,
                     audience: public}
  pbx-cliente-b:    {name: {pt: "Central telefónica Cliente B"}, group: voice,
                     audience: {organizations: [cliente-b]}}
  portal:           {name: Portal, audience: {plans: [priority]}}
"""


class Recorder:
    """What a reference check reports, by key path."""

    def __init__(self) -> None:
        self.failed: dict[tuple, str] = {}

    def fail(self, loc: tuple, message: str) -> None:
        self.failed[loc] = message


def read(text: str) -> StatusSection:
    root, found = parse(text)
    assert not found
    return StatusSection.model_validate(data(root))


@pytest.mark.django_db
def test_section_is_applied_and_a_second_load_changes_nothing(world: World):
    section = read(SECTION)
    refs = Recorder()
    check_status_references(refs, section, organizations=set(), plans=set())
    assert refs.failed == {}
    report = LoadReport()
    apply_status(status_spec(section), report)
    pbx = Component.objects.get(slug="pbx-cliente-b")
    assert pbx.name == "Central telefónica Cliente B" and pbx.group.name_in("pl") == "Głos"
    assert pbx.audience == Audience.ORGANIZATIONS
    assert list(pbx.organizations.all()) == [world.org]
    portal = Component.objects.get(slug="portal")
    assert list(portal.plans.all()) == [world.plan]
    trunk = Component.objects.get(slug="sip-trunk-lisboa")
    assert (trunk.name, trunk.name_in("pt")) == ("SIP trunk Lisbon", "Tronco SIP Lisboa")
    again = LoadReport()
    apply_status(status_spec(section), again)
    assert again.changed() == 0
    assert pbx.history.count() == 1


@pytest.mark.django_db
def test_unknown_names_are_problems_with_their_key_paths(world: World):
    section = read(
        "components:\n"
        "  a: {name: A, group: data, audience: {organizations: [cliente-x]}}\n"
        "  b: {name: B, audience: {plans: [gold]}}\n"
    )
    refs = Recorder()
    check_status_references(refs, section, organizations=set(), plans=set())
    assert set(refs.failed) == {
        ("status", "components", "a", "group"),
        ("status", "components", "a", "audience", "organizations", 0),
        ("status", "components", "b", "audience", "plans", 0),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("components: {a: {name: A, audience: private}}", "audience: public"),
        ("components: {a: {name: A, audience: {organizations: [x], plans: [y]}}}", "not both"),
        ("components: {a: {name: {}}}", "at least one language"),
        ("components: {a: {name: A, colour: red}}", "colour"),
    ],
)
def test_mistakes_are_refused(text: str, message: str):
    root, _found = parse(text)
    with pytest.raises(ValidationError) as refused:
        StatusSection.model_validate(data(root))
    reported = problems(refused.value, root, StatusSection)
    assert any(message in p.message or message in p.path for p in reported), reported
