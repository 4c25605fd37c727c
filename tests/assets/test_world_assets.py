"""Devices in the world file (``organizations.X.assets``) and plans with ``assets_only``:
checked like the rest of the file, every problem with its key path and line."""

import pytest

from supportdesk.assets.models import Asset
from supportdesk.plans.models import Plan
from supportdesk.world.loader import load_text
from supportdesk.world.source import SourceError
from tests.world.conftest import Writes

pytestmark = pytest.mark.django_db

WORLD = """\
calendars:
  warszawa:
    timezone: Europe/Warsaw
    country: PL
    weekly: {mon: ["08:00-18:00"], tue: ["08:00-18:00"]}
plans:
  premium:
    name: TechOpieka Premium
    calendar: warszawa
    assets_only: true
organizations:
  kancelaria-nowak:
    name: Kancelaria Nowak
    plan: premium
    contract: {start: 2025-02-01}
    contacts:
      - {name: Zofia Lis, email: zofia@kancelaria-nowak.pl, role: member}
    assets:
      - {serial: sn-4410, model: "ThinkPad T14", class: laptop,
         location: "Warszawa, ul. Prosta 1", user: zofia@kancelaria-nowak.pl}
      - {serial: SN-7702, model: "HP LaserJet", class: printer, under_contract: false}
"""


def test_devices_and_assets_only_load_as_written():
    report = load_text(WORLD)
    assert Plan.objects.get(slug="premium").assets_only is True
    rows = list(
        Asset.objects.order_by("serial").values_list(
            "serial", "model", "device_class", "location", "user__name", "under_contract"
        )
    )
    assert rows == [
        ("SN-4410", "ThinkPad T14", "laptop", "Warszawa, ul. Prosta 1", "Zofia Lis", True),
        ("SN-7702", "HP LaserJet", "printer", "", None, False),
    ]
    assert "devices: 2 created" in report.summary()


def test_loading_the_same_devices_twice_writes_nothing():
    load_text(WORLD)
    with Writes() as writes:
        load_text(WORLD)
    assert writes.statements == []


def problems(text: str) -> list[str]:
    with pytest.raises(SourceError) as refused:
        load_text(text)
    assert not Asset.objects.exists() and not Plan.objects.exists()
    return refused.value.lines()


PATH = "organizations.kancelaria-nowak.assets"


def test_a_wrong_device_is_named_by_its_key_path_and_line():
    text = WORLD.replace("class: printer", "class: fax").replace(
        "under_contract: false}", "under_contract: false, colour: red}"
    )
    text += "      - {model: Dell, class: desktop, under_contract: sometimes}\n"
    assert problems(text) == [
        f'<world>:21: {PATH}[1].class: "fax" is not one of laptop, desktop, printer, phone, '
        "tablet, server, network, other",
        f'<world>:21: {PATH}[1].colour: unknown key "colour" (expected one of: serial, model, '
        "class, location, user, under_contract)",
        f"<world>:22: {PATH}[2].serial: this key is required",
        f'<world>:22: {PATH}[2].under_contract: "sometimes" is not true or false',
    ]


def test_a_serial_twice_or_a_stranger_as_user_is_named_by_its_line():
    text = WORLD + (
        "      - {serial: SN-4410, class: laptop, user: olga@outra.pt}\n"
        "      - {serial: sn-7702, class: printer}\n"
    )
    assert problems(text) == [
        f'<world>:22: {PATH}[2].serial: "SN-4410" is already listed on line 19',
        f'<world>:22: {PATH}[2].user: "olga@outra.pt" is not a contact of organization '
        '"kancelaria-nowak" in this file or the database',
        f'<world>:23: {PATH}[3].serial: "SN-7702" is already listed on line 21',
    ]


def test_a_plan_says_assets_only_with_true_or_false():
    found = problems(WORLD.replace("assets_only: true", "assets_only: sometimes"))
    assert found == ['<world>:10: plans.premium.assets_only: "sometimes" is not true or false']
