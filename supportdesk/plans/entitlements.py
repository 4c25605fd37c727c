"""Who may use what: the one reading of a plan's entitlement matrix, for every way in.

The plan page shows it (``matrix.entitlement_rows``) and the desk acts on it: the portal and
the API open a case only for a role with a web-case level; email and phone cases from any other
role are received but not covered; a role holding a way's direct Level 2 starts its cases at
Level 2; chat hands over to a person in a live chat only a role with a chat level; and the help
centre and the assistant serve signed-in customers by ``help_center``, ``self_service`` and
``chatbot``.

How a matrix reads:

- A plan that declares no entitlements restricts nothing: everyone may use the help centre,
  the articles, the assistant, and web cases, email and phone at Level 1.
- A plan that declares some restricts exactly what it declares: a declared key belongs to the
  roles it lists and no one else. A way in none of whose levels is declared stays open to
  everyone at Level 1; once either level is declared, the declared levels are all it offers
  (``phone_l2: [admin]`` alone leaves the phone to administrators).
- Some things are granted, never assumed: direct Level 2, and a person in a live chat
  (``chat_l1``, ``chat_l2``, ``live_chat``). Where a plan does not declare them, nobody has them.
- No plan (no contract in force) restricts nothing either; such a case is not covered anyway.
"""

from dataclasses import dataclass
from datetime import datetime

from supportdesk.accounts.choices import AgentLevel, entitled_as
from supportdesk.accounts.models import Contact
from supportdesk.plans.choices import Entitlement, Way
from supportdesk.plans.contracts import in_force
from supportdesk.plans.models import Plan

#: Each way in and the keys of its two levels.
LEVELS: dict[str, tuple[str, str]] = {
    Way.TICKET: (Entitlement.TICKET_L1, Entitlement.TICKET_L2),
    Way.EMAIL: (Entitlement.EMAIL_L1, Entitlement.EMAIL_L2),
    Way.CHAT: (Entitlement.CHAT_L1, Entitlement.CHAT_L2),
    Way.PHONE: (Entitlement.PHONE_L1, Entitlement.PHONE_L2),
}

_WAY_OF = {key: way for way, keys in LEVELS.items() for key in keys}

#: What only a plan that says so gives.
NEVER_ASSUMED = frozenset(
    {
        Entitlement.LIVE_CHAT,
        Entitlement.CHAT_L1,
        Entitlement.CHAT_L2,
        Entitlement.TICKET_L2,
        Entitlement.EMAIL_L2,
        Entitlement.PHONE_L2,
    }
)


def may(plan: Plan | None, role: str, key: str) -> bool:
    """Whether a contact of this role may use what ``key`` names, under this plan."""
    declared = (plan.entitlements or {}) if plan is not None else {}
    role = entitled_as(role)
    if key in declared:
        return role in declared[key]
    if key in NEVER_ASSUMED:
        return False
    way = _WAY_OF.get(key)
    return way is None or not any(level in declared for level in LEVELS[way])


@dataclass(frozen=True)
class Access:
    """A role's place on one way in: the level its cases start at (``None``: not entitled)
    and the entitlement that decides it (when not entitled, the Level 1 key it lacks)."""

    level: str | None
    entitlement: str


def channel_access(plan: Plan | None, role: str, way: str) -> Access:
    """The level this role reaches on ``way``; direct Level 2 wins over Level 1."""
    level_1, level_2 = LEVELS[way]
    if may(plan, role, level_2):
        return Access(AgentLevel.L2, level_2)
    if may(plan, role, level_1):
        return Access(AgentLevel.L1, level_1)
    return Access(None, level_1)


def case_access(plan: Plan | None, role: str, way: str) -> Access:
    """The level a case received on ``way`` starts at, and whether the role is entitled to it.

    A chat that no person may take live becomes a case like a web case, so it is entitled
    (and leveled) as a web case would be; the chat's own key is named when neither holds."""
    access = channel_access(plan, role, way)
    if access.level is None and way == Way.CHAT:
        as_case = channel_access(plan, role, Way.TICKET)
        return as_case if as_case.level is not None else access
    return access


def plan_of(contact: Contact, at: datetime | None = None) -> Plan | None:
    """The plan of the contract in force for the contact's organization (default now)."""
    contract = in_force(contact.organization_id, at)
    return contract.plan if contract is not None else None


def who_may(plan: Plan | None, contact: Contact, way: str) -> list[Contact]:
    """The other people of the contact's organization whose role reaches ``way``: whom to ask."""
    colleagues = (
        contact.organization.contacts.exclude(pk=contact.pk)
        .prefetch_related("addresses")
        .order_by("name")
    )
    return [c for c in colleagues if channel_access(plan, c.role, way).level is not None]
