"""An Orange-like IT-support desk: TechOpieka's Premium plan covers only the computers bought
under the contract. Hotline Monday to Friday 8:00-18:00 Warsaw, Polish holidays closed; the
answer by phone is guaranteed within 2 working hours, anything else is answered within one
business day without a guarantee.

Kancelaria Nowak has a laptop bought under the contract (SN-4410) and a printer bought
elsewhere (SN-7702); Joanna is its administrator, Zofia a member. Cliente B (the shared
test world's) is another provider's customer with a device of its own (SN-0001).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.accounts.services import save_agent, save_brand, save_contact, save_organization
from supportdesk.assets.models import Asset
from supportdesk.assets.services import save_asset
from supportdesk.plans.models import BusinessCalendar, Plan
from supportdesk.plans.services import save_contract
from tests.factories import World, add_target, make_plan

WARSAW_HOURS = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class Techopieka:
    world: World
    plan: Plan
    org: Organization
    joanna: Contact
    zofia: Contact
    agent: User
    laptop: Asset
    printer: Asset
    foreign: Asset


@pytest.fixture
def techopieka(world: World) -> Techopieka:
    brand, _changed = save_brand("techopieka", name="TechOpieka")
    calendar = BusinessCalendar.objects.create(
        slug="techopieka-warszawa",
        timezone="Europe/Warsaw",
        country="PL",
        weekly=WARSAW_HOURS,
        brand=brand,
    )
    plan = make_plan(
        calendar,
        slug="techopieka-premium",
        name="TechOpieka Premium",
        brand=brand,
        assets_only=True,
    )
    add_target(plan, "first_response", channels=["phone"], within=timedelta(hours=2))
    add_target(plan, "first_response", business_days=1, guaranteed=False)
    org = save_organization("kancelaria-nowak", name="Kancelaria Nowak", brand=brand)
    save_contract(org, plan, start=date(2025, 2, 1))
    joanna = save_contact(
        org, name="Joanna Nowak", role="admin", email="joanna@kancelaria-nowak.pl", language="pl"
    )
    zofia = save_contact(
        org, name="Zofia Lis", role="member", email="zofia@kancelaria-nowak.pl", language="pl"
    )
    agent = save_agent(
        name="Katarzyna Lewandowska",
        email="katarzyna@techopieka.example",
        level="L1",
        brand=brand,
    ).user
    laptop, _change = save_asset(
        org,
        "SN-4410",
        model="Lenovo ThinkPad T14",
        device_class="laptop",
        location="Warszawa, ul. Prosta 1",
        user=zofia,
    )
    printer, _change = save_asset(
        org, "SN-7702", model="HP LaserJet Pro", device_class="printer", under_contract=False
    )
    foreign, _change = save_asset(world.org, "SN-0001", model="MacBook Air", device_class="laptop")
    return Techopieka(world, plan, org, joanna, zofia, agent, laptop, printer, foreign)
