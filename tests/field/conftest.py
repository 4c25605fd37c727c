"""Orange's Premium support as a small world: Warsaw hotline hours, an engineer on site within
24 hours of the report on any day, a repair back within 14 days, one free hour per missed
guarantee; a customer with a covered laptop, an agent, a field technician, a loaner pool."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.accounts.services import save_agent, save_contact
from supportdesk.assets.models import Asset
from supportdesk.assets.services import save_asset
from supportdesk.field import services as field
from supportdesk.field.models import Loaner
from supportdesk.plans.models import BusinessCalendar, Plan
from supportdesk.plans.services import TargetSpec, save_contract, save_plan

WARSAW_WEEKDAYS = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class Orange:
    plan: Plan
    org: Organization
    admin: Contact
    user: Contact
    laptop: Asset
    agent: User
    technician: User
    loaner: Loaner


def make_orange(contract_end: date | None = None) -> Orange:
    calendar = BusinessCalendar.objects.create(
        slug="pl-warszawa", timezone="Europe/Warsaw", country="PL", weekly=WARSAW_WEEKDAYS
    )
    plan, _change = save_plan(
        "premium",
        name="Premium",
        calendar=calendar,
        automatic_escalation=True,
        breach_credit_hours=1,
        targets=[
            TargetSpec("first_response", within=timedelta(hours=2)),
            TargetSpec("on_site", within=timedelta(hours=24), around_the_clock=True),
            TargetSpec("repair", within=timedelta(days=14), around_the_clock=True),
        ],
    )
    org = Organization.objects.create(slug="kancelaria", name="Kancelaria Nowak")
    agent = save_agent(name="Katarzyna", email="katarzyna@techopieka.example", level="L1").user
    technician = save_agent(name="Marek", email="marek@techopieka.example", level="L2").user
    field.set_technician(technician)
    save_contract(org, plan, start=date(2025, 1, 1), end=contract_end, account_manager=agent)
    admin = save_contact(
        org, name="Joanna Nowak", role="admin", email="joanna@nowak.pl", language="pl"
    )
    user = save_contact(org, name="Zofia Lis", role="member", email="zofia@nowak.pl")
    laptop, _change = save_asset(
        org,
        "SN-1234",
        model="ThinkPad T14",
        device_class="laptop",
        location="Warszawa, ul. Prosta 1",
        user=user,
    )
    loaner = field.save_loaner("LN-7", device_class="laptop", model="ThinkPad T480")
    for person in (agent, technician):
        person.set_password("secret-pass-123")
        person.save()
    return Orange(plan, org, admin, user, laptop, agent, technician, loaner)


@pytest.fixture
def orange(db) -> Orange:
    return make_orange()
