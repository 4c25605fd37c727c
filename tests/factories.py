"""A small world for tests, built through the services: the named users of STYLE.md.

- ``agent``: João, an L1 agent of team ``geral``
- ``admin``: Ana, administrator of Cliente B (covered by a plan with 4 business hours)
- ``member``: Bruno, member of Cliente B
- ``outsider``: Olga, administrator of another organization
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.accounts.services import save_agent, save_contact
from supportdesk.plans.models import BusinessCalendar, Contract, Plan, SlaTarget

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
