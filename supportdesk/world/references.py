"""A valid world file's references, checked against the file itself and the database.

The models in ``schema`` say what each entry may hold; this says what the entries may name:
calendars, plans, brands, agents and teams that exist (in the file or the database), a brand's
plans on its own hours, and each email, phone number, PIN and extension used once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from supportdesk.accounts.models import Agent, Brand, Contact, RegisteredAddress
from supportdesk.channels.voice.models import SupportPin
from supportdesk.plans.choices import ALWAYS
from supportdesk.plans.models import BusinessCalendar, Plan
from supportdesk.world.assets import check_asset_references
from supportdesk.world.field import check_field_references
from supportdesk.world.fields import at
from supportdesk.world.phone import check_phone_references, known_teams
from supportdesk.world.request_types import check_request_type_references
from supportdesk.world.source import Node, Problem, show
from supportdesk.world.status import check_status_references

if TYPE_CHECKING:
    from supportdesk.world.schema import OrganizationEntry, WorldFile

Loc = tuple[str | int, ...]


class Known:
    """What the database already holds that a world file may refer to or collide with."""

    def __init__(self) -> None:
        self.brands = set(Brand.objects.values_list("slug", flat=True))
        self.calendars = set(BusinessCalendar.objects.values_list("slug", flat=True))
        self.plans = set(Plan.objects.values_list("slug", flat=True))
        self.brand_of = {
            "calendars": dict(BusinessCalendar.objects.values_list("slug", "brand__slug")),
            "plans": dict(Plan.objects.values_list("slug", "brand__slug")),
        }
        self.fallback_plans = list(
            Plan.objects.filter(fallback=True).values_list("slug", flat=True)
        )
        self.agents = set(Agent.objects.values_list("user__email", flat=True))


class References:
    """Checks what a validated world file names; ``check`` returns the problems found."""

    def __init__(self, root: Node, world: WorldFile) -> None:
        self.root = root
        self.world = world
        self.known = Known()
        self.problems: list[Problem] = []
        self._claimed: dict[str, Node] = {}
        self._declare()

    def _declare(self) -> None:
        """Names the file defines, valid or not, so one bad definition is reported once."""
        self.declared: dict[str, set[str]] = {}
        for kind, loc in (
            ("brands", ("brands",)),
            ("calendars", ("calendars",)),
            ("plans", ("plans",)),
            ("menus", ("phone", "menus")),
        ):
            node = at(self.root, loc)
            found = node.path == ".".join(loc) and node.is_mapping
            self.declared[kind] = set(node.value) if found else set()
        agents = at(self.root, ("agents",))
        self.declared["agents"] = set()
        for item in agents.value if agents.path == "agents" and agents.is_sequence else []:
            email = item.value.get("email") if item.is_mapping else None
            if email is not None and email.raw:
                self.declared["agents"].add(email.raw.strip().lower())

    def fail(self, loc: Loc, message: str) -> None:
        node = at(self.root, loc)
        self.problems.append(Problem(node.line, node.path, message))

    def check(self) -> list[Problem]:
        world = self.world
        for slug, calendar in world.calendars.items():
            if calendar.brand is not None:
                self.brand_ref(("calendars", slug, "brand"), calendar.brand)
        for slug, plan in world.plans.items():
            where = ("plans", slug)
            self.calendar_ref((*where, "calendar"), plan.calendar)
            if plan.brand is not None and self.brand_ref((*where, "brand"), plan.brand):
                self.same_brand((*where, "calendar"), "calendar", plan.calendar, plan.brand)
            for index, target in enumerate(plan.targets):
                if target.calendar not in (None, ALWAYS, plan.calendar):
                    self.fail(
                        (*where, "targets", index, "calendar"),
                        _('%(v)s: a target runs on the plan\'s calendar ("%(plan)s") or "always"')
                        % {"v": show(target.calendar), "plan": plan.calendar},
                    )
        for index, agent in enumerate(world.agents):
            if agent is None:  # not valid: reported with its own problems
                continue
            if agent.brand is not None:
                self.brand_ref(("agents", index, "brand"), agent.brand)
            self.claim_email(("agents", index, "email"), agent.email)
            if agent.extension:
                self.claim(("agents", index, "extension"), f"extension {agent.extension}")
        for slug, organization in world.organizations.items():
            self.organization(slug, organization)
        if world.phone is not None:
            check_phone_references(
                self,
                world.phone,
                calendars=self.known.calendars | self.declared["calendars"],
                declared_menus=self.declared["menus"],
                teams=known_teams({t for a in world.agents if a is not None for t in a.teams}),
            )
        if world.status is not None:
            check_status_references(
                self, world.status, organizations=set(world.organizations), plans=set(world.plans)
            )
        check_request_type_references(self, world.request_types)
        if world.field is not None:
            check_field_references(self, world.field)
        self.one_fallback()
        return self.problems

    # ------------------------------------------------------------------ names

    def brand_ref(self, loc: Loc, slug: str) -> bool:
        """Whether ``slug`` is a brand this file or the database defines (recorded if not)."""
        if slug not in self.known.brands | self.declared["brands"]:
            self.fail(
                loc,
                _('brand "%(ref)s" is neither in this file nor in the database') % {"ref": slug},
            )
            return False
        return True

    def calendar_ref(self, loc: Loc, slug: str | None) -> None:
        if slug is not None and slug not in self.known.calendars | self.declared["calendars"]:
            self.fail(
                loc,
                _('calendar "%(ref)s" is neither in this file nor in the database') % {"ref": slug},
            )

    def brand_of(self, kind: str, slug: str) -> str | None:
        """The brand of a calendar or plan this file (or else the database) defines."""
        entries = self.world.calendars if kind == "calendars" else self.world.plans
        if slug in entries:
            brand = entries[slug].brand
            return brand if brand in self.known.brands | self.declared["brands"] else None
        if slug in self.declared[kind]:
            return None  # defined in this file, but invalid: reported where it is
        return self.known.brand_of[kind].get(slug)

    def same_brand(self, loc: Loc, kind: str, slug: str, brand: str) -> None:
        """A provider sells its own plans on its own hours, never another brand's."""
        theirs = self.brand_of(f"{kind}s", slug)
        if theirs is not None and theirs != brand:
            self.fail(
                loc,
                _('%(kind)s "%(ref)s" belongs to brand "%(theirs)s", not "%(brand)s"')
                % {"kind": kind, "ref": slug, "theirs": theirs, "brand": brand},
            )

    def organization(self, slug: str, org: OrganizationEntry) -> None:
        where = ("organizations", slug)
        if org.support_pin is not None:
            self.claim_pin((*where, "support_pin"), org.support_pin, slug)
        if org.plan is not None:
            if org.plan not in self.known.plans | self.declared["plans"]:
                self.fail(
                    (*where, "plan"),
                    _('plan "%(ref)s" is neither in this file nor in the database')
                    % {"ref": org.plan},
                )
            terms = org.contract
            manager = terms.account_manager if terms else None
            if manager is not None and manager not in self.known.agents | self.declared["agents"]:
                self.fail(
                    (*where, "contract", "account_manager"),
                    _('account manager "%(ref)s" is not an agent in this file or the database')
                    % {"ref": manager},
                )
            self.calendar_ref((*where, "contract", "calendar"), terms.calendar if terms else None)
        brand = org.brand
        if brand is not None and self.brand_ref((*where, "brand"), brand) and org.plan is not None:
            self.same_brand((*where, "plan"), "plan", org.plan, brand)
        for index, contact in enumerate(org.contacts):
            if contact.email is not None:
                self.claim_email((*where, "contacts", index, "email"), contact.email, slug)
            if contact.phone is not None:
                loc = (*where, "contacts", index, "phone")
                if self.claim(loc, contact.phone):
                    self.registered_elsewhere(loc, contact.phone, slug)
        first: dict[tuple, Node] = {}
        for index, pack in enumerate(org.packs):
            node = at(self.root, (*where, "packs", index))
            key = (pack.kind, pack.first_day)
            if key in first:
                message = _(
                    "a %(kind)s pack from %(day)s is already listed on line %(line)s; "
                    "write them as one pack"
                )
                self.fail(
                    (*where, "packs", index),
                    message % {"kind": pack.kind, "day": key[1], "line": first[key].line},
                )
            else:
                first[key] = node
        check_asset_references(self, slug, org)

    def one_fallback(self) -> None:
        fallbacks = [slug for slug, plan in self.world.plans.items() if plan.fallback]
        others = [s for s in self.known.fallback_plans if s not in self.world.plans]
        if len(fallbacks) + len(others) > 1:
            node = at(self.root, ("plans",))
            self.problems.append(
                Problem(
                    node.line,
                    "plans",
                    _("only one plan can be the fallback; found %(plans)s")
                    % {"plans": ", ".join(fallbacks + [f"{s} (database)" for s in others])},
                )
            )

    # ------------------------------------------------------------------ used once

    def claim(self, loc: Loc, value: str) -> bool:
        """Whether this is the first use of ``value`` in the file (recorded if not)."""
        node = at(self.root, loc)
        previous = self._claimed.get(value)
        if previous is not None:
            self.fail(
                loc,
                _("%(v)s is already used on line %(line)s")
                % {"v": show(value), "line": previous.line},
            )
            return False
        self._claimed[value] = node
        return True

    def claim_email(self, loc: Loc, email: str, organization: str | None = None) -> None:
        """An email identifies one person: one agent, or one contact of one organization.

        ``organization``: the contact's; None for an agent.
        """
        if not self.claim(loc, email):
            return
        if organization is None:
            org = (
                Contact.objects.filter(user__email=email)
                .values_list("organization__slug", flat=True)
                .first()
            )
            if org is not None:
                self.fail(
                    loc,
                    _("%(v)s is a customer contact of %(org)s in the database")
                    % {"v": show(email), "org": org},
                )
        elif email in self.known.agents:
            self.fail(loc, _("%(v)s is an agent in the database") % {"v": show(email)})
        else:
            self.registered_elsewhere(loc, email, organization)

    def claim_pin(self, loc: Loc, pin: str, organization: str) -> None:
        """A PIN identifies one organization: one the database gives another is refused."""
        if not self.claim(loc, f"PIN {pin}"):
            return
        owner = (
            SupportPin.objects.filter(pin=pin)
            .exclude(organization__slug=organization)
            .values_list("organization__slug", flat=True)
            .first()
        )
        if owner is not None:
            self.fail(loc, _("this PIN is already the PIN of %(org)s") % {"org": owner})

    def registered_elsewhere(self, loc: Loc, value: str, organization: str) -> None:
        owners = set(
            RegisteredAddress.objects.filter(value=value)
            .exclude(contact__organization__slug=organization)
            .values_list("contact__organization__slug", flat=True)
        )
        if owners:
            self.fail(
                loc,
                _("%(v)s is registered to a contact of %(org)s in the database")
                % {"v": show(value), "org": ", ".join(sorted(owners))},
            )
