"""Plans as code: one YAML file creates or updates brands, calendars, plans, organizations and
people.

The file is checked in full first (every problem, with its key path and line); only a file
without problems is applied, in one transaction, through the services of each app. An object
the file names is set to what the file says (omitted keys take their documented defaults);
what the database holds and the file does not name is left alone. Applying writes only the
values that differ, so loading the same file twice changes nothing.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from supportdesk.accounts.choices import AddressKind
from supportdesk.accounts.models import Brand, Organization, User
from supportdesk.accounts.services import (
    save_agent,
    save_brand,
    save_contact,
    save_organization,
)
from supportdesk.billing.services import save_pack
from supportdesk.channels.voice.services import save_support_pin
from supportdesk.knowledge.services import save_category
from supportdesk.plans.models import BusinessCalendar, Plan
from supportdesk.plans.services import (
    Change,
    save_calendar,
    save_contract,
    save_plan,
)
from supportdesk.tickets import services as tickets
from supportdesk.world.assets import apply_assets
from supportdesk.world.field import apply_field
from supportdesk.world.phone import apply_agent_line, apply_phone
from supportdesk.world.request_types import apply_request_types
from supportdesk.world.schema import AgentSpec, ContactSpec, WorldSpec, check_world
from supportdesk.world.source import SourceError, parse
from supportdesk.world.status import apply_status


@dataclass
class LoadReport:
    """How many objects of each kind the load created, updated or found as they were."""

    counts: Counter = field(default_factory=Counter)

    def add(self, kind: str, change: Change) -> None:
        self.counts[(kind, change)] += 1

    def changed(self) -> int:
        return sum(n for (_kind, change), n in self.counts.items() if change != Change.UNCHANGED)

    def summary(self) -> str:
        kinds = sorted({kind for kind, _change in self.counts})
        parts = []
        for kind in kinds:
            created = self.counts[(kind, Change.CREATED)]
            updated = self.counts[(kind, Change.UPDATED)]
            unchanged = self.counts[(kind, Change.UNCHANGED)]
            parts.append(
                _("%(kind)s: %(c)s created, %(u)s updated, %(n)s unchanged")
                % {"kind": kind, "c": created, "u": updated, "n": unchanged}
            )
        return "\n".join(parts) or _("nothing to load")


def check_text(text: str, source: str) -> WorldSpec:
    """The validated world, or ``SourceError`` listing every problem in the file."""
    root, problems = parse(text)
    if problems:  # a broken document has no trustworthy structure to check further
        raise SourceError(source, problems)
    spec, problems = check_world(root)
    if problems:
        raise SourceError(source, problems)
    return spec


def load_text(text: str, source: str = "<world>") -> LoadReport:
    return apply_world(check_text(text, source))


def load_file(path: str | Path) -> LoadReport:
    """Load a world file; ``OSError`` when it cannot be read, ``SourceError`` when it is wrong."""
    path = Path(path)
    return load_text(path.read_text(encoding="utf-8"), str(path))


@transaction.atomic
def apply_world(spec: WorldSpec) -> LoadReport:
    report = LoadReport()
    for brand_spec in spec.brands:
        existed = Brand.objects.filter(slug=brand_spec.slug).exists()
        brand, changed = save_brand(brand_spec.slug, name=brand_spec.name, names=brand_spec.names)
        if brand_spec.prefix is not None:
            changed = tickets.set_case_prefix(brand, brand_spec.prefix) or changed
        report.add("brands", _change(existed, changed))
    brands: dict[str | None, Brand] = {b.slug: b for b in Brand.objects.all()}
    for calendar in spec.calendars:
        _calendar, change = save_calendar(
            calendar.slug, brand=brands.get(calendar.brand), **calendar.values
        )
        report.add("calendars", change)
    calendars = {c.slug: c for c in BusinessCalendar.objects.all()}
    for plan in spec.plans:
        _plan, change = save_plan(
            plan.slug,
            calendar=calendars[plan.calendar],
            brand=brands.get(plan.brand),
            targets=plan.targets,
            **plan.values,
        )
        report.add("plans", change)
    for agent in spec.agents:
        report.add("agents", _save_agent(agent, brands))
        if agent.phone or agent.extension or agent.softphone:
            apply_agent_line(agent.email, agent.phone, agent.extension, agent.softphone, report)
    if spec.phone is not None:
        apply_phone(spec.phone, report)
    plans = {p.slug: p for p in Plan.objects.all()}
    for org_spec in spec.organizations:
        before = Organization.objects.filter(slug=org_spec.slug).values_list("name", "brand__slug")
        previous = before.first()
        organization = save_organization(
            org_spec.slug, name=org_spec.name, brand=brands.get(org_spec.brand)
        )
        changed = previous is not None and (
            previous[0] != org_spec.name
            or (org_spec.brand is not None and previous[1] != org_spec.brand)
        )
        report.add("organizations", _change(previous is not None, changed))
        terms = org_spec.contract
        if terms is not None:
            manager = (
                User.objects.get(email=terms.account_manager) if terms.account_manager else None
            )
            _contract, change = save_contract(
                organization,
                plans[terms.plan],
                start=terms.start,
                end=terms.end,
                monthly_fee=terms.monthly_fee,
                designated_email=terms.designated_email,
                designated_phone=terms.designated_phone,
                account_manager=manager,
                calendar=calendars[terms.calendar] if terms.calendar else None,
            )
            report.add("contracts", change)
        for contact in org_spec.contacts:
            report.add("contacts", _save_contact(organization, contact))
        apply_assets(organization, org_spec.assets, report)
        if org_spec.support_pin is not None:
            report.add(
                "support PINs", save_support_pin(org_spec.support_pin, organization=organization)
            )
        for pack in org_spec.packs:
            _pack, change = save_pack(
                organization,
                kind=pack.kind,
                hours=pack.hours,
                purchased=pack.purchased,
                start_month=pack.start_month,
                end_month=pack.end_month,
            )
            report.add("packs", change)
    if spec.status is not None:
        apply_status(spec.status, report)
    apply_request_types(spec.request_types, report)
    if spec.field_service is not None:
        apply_field(spec.field_service, report)
    for slug, names in spec.knowledge_categories.items():
        report.add("knowledge categories", save_category(slug, names)[1])
    return report


def _change(existed: bool, changed: bool) -> Change:
    if not existed:
        return Change.CREATED
    return Change.UPDATED if changed else Change.UNCHANGED


def _save_agent(spec: AgentSpec, brands: dict[str | None, Brand]) -> Change:
    """``save_agent`` unless the agent is already exactly so (it would rewrite the row)."""
    user = User.objects.filter(email=spec.email).select_related("agent__brand").first()
    agent = getattr(user, "agent", None) if user else None
    brand = brands.get(spec.brand) if spec.brand else None
    if user is not None and agent is not None:
        teams = set(agent.teams.values_list("slug", flat=True))
        if (
            user.name == spec.name
            and agent.level == spec.level
            and teams == set(spec.teams)
            and agent.brand == brand
            and agent.all_brands == spec.all_brands
        ):
            return Change.UNCHANGED
    save_agent(
        name=spec.name,
        email=spec.email,
        level=spec.level,
        teams=spec.teams,
        brand=brand,
        all_brands=spec.all_brands,
    )
    return Change.CREATED if agent is None else Change.UPDATED


def _save_contact(organization: Organization, spec: ContactSpec) -> Change:
    """``save_contact`` unless the contact is already exactly so (it would rewrite the row)."""
    contact = None
    if spec.email:
        contact = organization.contacts.filter(
            addresses__kind=AddressKind.EMAIL, addresses__value=spec.email
        ).first()
    if contact is None:
        contact = organization.contacts.filter(name=spec.name).first()
    if contact is not None:
        wanted = {(AddressKind.EMAIL, spec.email), (AddressKind.PHONE, spec.phone)}
        wanted = {(kind, value) for kind, value in wanted if value}
        held = set(contact.addresses.values_list("kind", "value"))
        if (
            contact.name == spec.name
            and contact.role == spec.role
            and contact.language == spec.language
            and wanted <= held
            and (not spec.email or contact.user_id is not None)
        ):
            return Change.UNCHANGED
    save_contact(
        organization,
        name=spec.name,
        role=spec.role,
        email=spec.email,
        phone=spec.phone,
        language=spec.language,
    )
    return Change.CREATED if contact is None else Change.UPDATED
