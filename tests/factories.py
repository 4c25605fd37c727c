"""A small world for tests, built through the services: the named users of STYLE.md.

- ``agent``: João, an L1 agent of team ``geral``
- ``admin``: Ana, administrator of Cliente B (covered by a plan with 4 business hours)
- ``member``: Bruno, member of Cliente B
- ``outsider``: Olga, administrator of another organization
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from supportdesk.accounts.models import Brand, Contact, Organization, User
from supportdesk.accounts.services import (
    save_agent,
    save_brand,
    save_contact,
    save_organization,
)
from supportdesk.plans.models import BusinessCalendar, Contract, Plan, SlaTarget
from supportdesk.plans.services import save_contract

LISBON_WEEKDAYS = {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class World:
    calendar: BusinessCalendar
    plan: Plan
    org: Organization
    other_org: Organization
    agent: User
    admin: Contact
    member: Contact
    outsider: Contact


def make_plan(calendar: BusinessCalendar, slug: str = "priority", **fields) -> Plan:
    defaults = dict(
        name="Priority",
        calendar=calendar,
        breach_credit_hours=Decimal(1),
        designated_only=False,
    )
    plan = Plan.objects.create(slug=slug, **{**defaults, **fields})
    return plan


def add_target(plan: Plan, metric: str, **fields) -> SlaTarget:
    position = plan.targets.count()
    return SlaTarget.objects.create(plan=plan, position=position, metric=metric, **fields)


def make_world(password: str = "secret-pass-123") -> World:
    calendar = BusinessCalendar.objects.create(
        slug="pt-lisbon", timezone="Europe/Lisbon", country="PT", weekly=LISBON_WEEKDAYS
    )
    plan = make_plan(calendar)
    add_target(plan, "first_response", within=timedelta(hours=4))
    add_target(
        plan, "restoration", priorities=["P1"], within=timedelta(hours=4), around_the_clock=True
    )
    add_target(plan, "restoration", within=timedelta(hours=16))
    add_target(plan, "first_response", business_days=2, guaranteed=False)
    org = Organization.objects.create(slug="cliente-b", name="Cliente B, Lda.")
    other = Organization.objects.create(slug="outra", name="Outra, S.A.")
    for o in (org, other):
        Contract.objects.create(organization=o, plan=plan, start=date(2020, 1, 1))
    admin = save_contact(
        org, name="Ana Silva", role="admin", email="ana@cliente-b.pt", phone="+351912345678"
    )
    member = save_contact(org, name="Bruno Reis", role="member", email="bruno@cliente-b.pt")
    outsider = save_contact(other, name="Olga Nowak", role="admin", email="olga@outra.pt")
    agent = save_agent(name="João Costa", email="joao@webplug.example", level="L1", teams=["geral"])
    for user in (agent.user, admin.user, member.user, outsider.user):
        user.set_password(password)
        user.save()
    return World(calendar, plan, org, other, agent.user, admin, member, outsider)


@dataclass
class TwoBrands:
    """Two providers on one desk: the named world is WebPlug's; MeetWave has its own plan,
    customer (Agnieszka, administrator of Wisła) and agent (Sofia). ``lead`` is an agent of
    every brand, ``root`` a superuser."""

    world: World
    webplug: Brand
    meetwave: Brand
    mw_plan: Plan
    mw_org: Organization
    mw_admin: Contact
    mw_agent: User
    lead: User
    root: User


def make_two_brands(world: World, password: str = "secret-pass-123") -> TwoBrands:
    webplug, _changed = save_brand("webplug", name="WebPlug")
    meetwave, _changed = save_brand(
        "meetwave", name="MeetWave", names={"pl": "MeetWave Polska", "pt": "MeetWave Portugal"}
    )
    for row in (world.calendar, world.plan, world.org, world.other_org):
        row.brand = webplug
        row.save(update_fields=["brand"])
    save_agent(
        name="João Costa", email=world.agent.email, level="L1", teams=["geral"], brand=webplug
    )
    calendar = BusinessCalendar.objects.create(
        slug="mw-emea", timezone="Europe/Amsterdam", weekly=LISBON_WEEKDAYS, brand=meetwave
    )
    plan = make_plan(calendar, slug="mw-premier", name="MeetWave Premier", brand=meetwave)
    add_target(plan, "first_response", within=timedelta(hours=4))
    org = save_organization("wisla", name="Wisła Logistyka", brand=meetwave)
    save_contract(org, plan, start=date(2020, 1, 1))
    admin = save_contact(
        org, name="Agnieszka Mazur", role="admin", email="agnieszka@wisla.pl", language="pl"
    )
    mw_agent = save_agent(
        name="Sofia Rocha", email="sofia@meetwave.example", level="L1", brand=meetwave
    ).user
    lead = save_agent(name="Lea Lead", email="lea@desk.example", level="L2", all_brands=True).user
    root = User.objects.create_superuser("root@desk.example", password)
    for user in (admin.user, mw_agent, lead):
        user.set_password(password)
        user.save()
    world.agent.refresh_from_db()
    return TwoBrands(world, webplug, meetwave, plan, org, admin, mw_agent, lead, root)
