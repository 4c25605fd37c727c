"""The world file's ``phone:`` section: numbers, menus, agents' lines and support PINs."""

import pytest

from supportdesk.channels.voice.models import AgentLine, Menu, MenuOption, PhoneNumber, SupportPin
from supportdesk.status.models import Component
from supportdesk.world.loader import load_text
from supportdesk.world.source import SourceError
from tests.world.conftest import SAMPLE, Writes

PHONE = """
phone:
  numbers:
    "+351 21 000 0247": {name: WebPlug priority line, language: pt, calendar: always, menu: main,
                         country: PT, public: false}
    "+351210000100": {name: WebPlug main line, language: pt, calendar: pt-lisbon, menu: main,
                      after_hours: voicemail, country: pt}
  menus:
    main:
      greeting: {pt: "Bem-vindo ao suporte WebPlug.", en: "Welcome to WebPlug support."}
      options:
        "1": {label: {pt: "Suporte técnico", en: "Technical support"}, team: geral}
        "3": {label: {pt: "Extensão"}, extension: true}
        "4": {label: {pt: "Mais opções"}, menu: more}
        "9": {label: {pt: "Deixar mensagem"}, voicemail: true}
    more:
      greeting: {pt: "Mais opções."}
      options:
        "2": {label: {pt: "Um pedido existente"}, existing_case: true}
"""


def world(phone: str = PHONE) -> str:
    text = SAMPLE.read_text()
    text = text.replace(
        "{name: João Costa, email: joao@webplug.example, level: L1, teams: [geral]}",
        "{name: João Costa, email: joao@webplug.example, level: L1, teams: [geral],"
        ' phone: "+351 911 000 001", extension: "101"}',
    )
    text = text.replace("  cliente-b:\n", '  cliente-b:\n    support_pin: "482193"\n', 1)
    return text + phone


@pytest.mark.django_db
def test_phone_section_loads_numbers_menus_lines_and_pins():
    load_text(world())
    priority = PhoneNumber.objects.get(number="+351210000247")
    assert priority.calendar is None and priority.public is False
    main = PhoneNumber.objects.get(number="+351210000100")
    assert main.calendar.slug == "pt-lisbon" and main.country == "PT"
    options = {o.key: o for o in MenuOption.objects.filter(menu__slug="main")}
    assert options["1"].team.slug == "geral" and options["4"].submenu.slug == "more"
    assert Menu.objects.get(slug="more").options.get().kind == "existing_case"
    line = AgentLine.objects.get(agent__user__email="joao@webplug.example")
    assert (line.phone, line.extension) == ("+351911000001", "101")
    assert SupportPin.objects.get().organization.slug == "cliente-b"


@pytest.mark.django_db
def test_loading_the_same_phone_section_twice_writes_nothing():
    load_text(world())
    with Writes() as writes:
        load_text(world())
    assert writes.statements == []


BAD = {
    "number": ('"+351210000100"', '"21 000 0100"', "phone.numbers.21 000 0100"),
    "team": ("team: geral}", "team: vendas}", "phone.menus.main.options.1.team"),
    "key": ('"9": {label', '"x": {label', "phone.menus.main.options.x"),
    "menu": ("menu: more}", "menu: less}", "phone.menus.main.options.4.menu"),
    "calendar": (
        "calendar: pt-lisbon",
        "calendar: pt-porto",
        "phone.numbers.+351210000100.calendar",
    ),
    "two actions": (
        "extension: true}",
        "extension: true, voicemail: true}",
        "phone.menus.main.options.3",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_wrong_phone_section_names_the_key_path_and_loads_nothing(case):
    old, new, path = BAD[case]
    with pytest.raises(SourceError) as caught:
        load_text(world(PHONE.replace(old, new, 1)), "w.yaml")
    paths = [p.path for p in caught.value.problems]
    assert path in paths, paths
    assert all(p.line > 0 for p in caught.value.problems)
    assert not PhoneNumber.objects.exists() and not Menu.objects.exists()


@pytest.mark.django_db
def test_a_pin_and_an_extension_are_each_used_once():
    text = world().replace(
        "{name: Pedro Almeida, email: pedro@webplug.example, level: L2, teams: [geral, tecnico]}",
        "{name: Pedro Almeida, email: pedro@webplug.example, level: L2, teams: [geral, tecnico],"
        ' extension: "101"}',
    )
    with pytest.raises(SourceError) as caught:
        load_text(text, "w.yaml")
    assert [p.path for p in caught.value.problems] == ["agents[1].extension"]


STATUS = """
status:
  groups: {voice: {name: {pt: Voz, pl: Głos, en: Voice}}}
  components:
    sip-trunk-lisboa: {name: {pt: "Tronco SIP Lisboa", en: "SIP trunk Lisbon"}, group: voice,
                       audience: public}
    pbx-cliente-b: {name: {pt: "Central telefónica Cliente B"}, group: voice,
                    audience: {organizations: [cliente-b]}}
"""


@pytest.mark.django_db
def test_the_loader_applies_a_status_section_beside_the_phone_section():
    load_text(world() + STATUS)
    private = Component.objects.get(slug="pbx-cliente-b")
    assert private.group.slug == "voice"
    with Writes() as writes:
        load_text(world() + STATUS)
    assert writes.statements == []
    wrong = STATUS.replace("organizations: [cliente-b]", "organizations: [cliente-z]")
    with pytest.raises(SourceError) as caught:
        load_text(world() + wrong, "w.yaml")
    assert [p.path for p in caught.value.problems] == [
        "status.components.pbx-cliente-b.audience.organizations[0]"
    ]
