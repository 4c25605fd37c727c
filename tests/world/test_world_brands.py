"""Brands in a world file: who sells which plan on which hours, checked with key path and line."""

import pytest

from supportdesk.accounts.models import Agent, Brand, Organization
from supportdesk.plans.models import BusinessCalendar, Plan
from supportdesk.world.loader import load_text
from supportdesk.world.source import SourceError

pytestmark = pytest.mark.django_db

WORLD = """\
brands:
  webplug: WebPlug
  meetwave: {name: MeetWave, names: {pl: MeetWave Polska}}
calendars:
  lisboa: {timezone: Europe/Lisbon, weekly: {mon: ["09:00-17:00"]}, brand: webplug}
  emea: {timezone: Europe/Amsterdam, weekly: {mon: ["08:00-18:00"]}, brand: meetwave}
plans:
  standard: {name: Standard, calendar: lisboa, brand: webplug}
  premier: {name: Premier, calendar: emea, brand: meetwave}
agents:
  - {name: João, email: joao@webplug.example, level: L1, brand: webplug}
  - {name: Lea, email: lea@desk.example, level: L2, all_brands: true}
organizations:
  padaria: {name: Padaria, plan: standard, contract: {start: 2026-01-01}}
  wisla: {name: Wisła, plan: premier, contract: {start: 2026-01-01}}
  loja: {name: Loja, brand: webplug}
"""


def test_brands_reach_plans_calendars_agents_and_customers():
    load_text(WORLD)
    webplug, meetwave = Brand.objects.get(slug="webplug"), Brand.objects.get(slug="meetwave")
    assert meetwave.name_in("pl") == "MeetWave Polska" and meetwave.name_in("pt") == "MeetWave"
    assert BusinessCalendar.objects.get(slug="emea").brand == meetwave
    assert Plan.objects.get(slug="standard").brand == webplug
    joao = Agent.objects.get(user__email="joao@webplug.example")
    lea = Agent.objects.get(user__email="lea@desk.example")
    assert (joao.brand, joao.all_brands, lea.brand, lea.all_brands) == (webplug, False, None, True)
    brands = dict(Organization.objects.values_list("slug", "brand__slug"))
    assert brands == {"padaria": "webplug", "wisla": "meetwave", "loja": "webplug"}
    assert load_text(WORLD).changed() == 0  # loading it again changes nothing


def test_a_world_without_brands_still_loads_as_before():
    unbranded = "\n".join(
        line.replace(", brand: meetwave", "").replace(", brand: webplug", "")
        for line in WORLD.splitlines()[3:]
    )
    load_text(unbranded)
    assert not Brand.objects.exists()
    assert Organization.objects.filter(brand__isnull=True).count() == 3


@pytest.mark.parametrize(
    ("change", "line", "path", "message"),
    [
        (("calendar: emea, brand: meetwave", "calendar: lisboa, brand: meetwave"), 9,
         "plans.premier.calendar", 'calendar "lisboa" belongs to brand "webplug", not "meetwave"'),
        (("level: L1, brand: webplug", "level: L1, brand: webplug-pt"), 11,
         "agents[0].brand", 'brand "webplug-pt" is neither in this file nor in the database'),
        (("loja: {name: Loja, brand: webplug}", "loja: {name: Loja, brand: 7}"), 16,
         "organizations.loja.brand", 'brand "7" is neither in this file nor in the database'),
        (("wisla: {name: Wisła,", "wisla: {name: Wisła, brand: webplug,"), 15,
         "organizations.wisla.plan", 'plan "premier" belongs to brand "meetwave", not "webplug"'),
        (("names: {pl: MeetWave Polska}", "names: {pl: MeetWave Polska, de: MeetWelle}"), 3,
         "brands.meetwave.names.de", 'unknown key "de"'),
    ],
)  # fmt: skip
def test_brand_mistakes_are_reported_where_they_are(change, line, path, message):
    with pytest.raises(SourceError) as caught:
        load_text(WORLD.replace(*change), "w.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (line, path)
    assert problem.message.startswith(message)
    assert not Brand.objects.exists()
