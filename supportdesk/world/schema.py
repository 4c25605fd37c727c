"""What a world file may say, checked in full before anything is written.

The file is validated as the pydantic models below (every problem, with its key path and line),
then its references are checked against itself and the database (``references``), and only a
file without problems becomes the plain specs the loader applies. A typo is a problem, not a
silently ignored key: plans are contracts, and a misspelt ``guaranted: false`` must not turn
into a promise.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, get_origin

import holidays
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from pydantic import ValidationError, field_validator, model_validator
from pydantic_core.core_schema import ValidationInfo

from supportdesk.accounts.choices import AgentLevel, ContactRole
from supportdesk.billing.choices import PackKind
from supportdesk.plans.choices import ALWAYS, Entitlement, Metric
from supportdesk.plans.services import TargetSpec
from supportdesk.sla import Calendar
from supportdesk.tickets.choices import Channel, Priority
from supportdesk.tickets.models import validate_case_prefix
from supportdesk.world.assets import AssetEntry, AssetSpec, asset_specs
from supportdesk.world.field import FieldSection, FieldSpec, field_spec
from supportdesk.world.fields import (
    MAPPING,
    ONE_OR_MANY,
    UNIQUE,
    Bool,
    Country,
    Currency,
    Date,
    DateKey,
    Duration,
    Email,
    Intervals,
    LanguageKey,
    Month,
    Phone,
    PositiveInt,
    SlugKey,
    Strict,
    TeamKey,
    Text,
    Texts,
    TimeZone,
    amount,
    choice,
    data,
    fail,
    kernel_message,
    key_of,
    languages,
    ordered_as,
    problems,
    span_pairs,
)
from supportdesk.world.phone import Extension, PhoneSection, PhoneSpec, Pin, Softphone, phone_spec
from supportdesk.world.references import References
from supportdesk.world.request_types import RequestTypeEntry, RequestTypeSpec, request_type_specs
from supportdesk.world.source import Node, Problem, show
from supportdesk.world.status import StatusSection, StatusSpec, status_spec

# ---------------------------------------------------------------------- the file


class BrandEntry(Strict):
    """``key: Name``, or ``key: {name: Name, names: {pl: ..., pt: ...}, prefix: WP}``; the
    prefix starts its case numbers (WP-1042), suggested from the name when not written."""

    name: Text
    names: dict[LanguageKey, Text] = {}
    prefix: Text | None = None

    @field_validator("prefix")
    @classmethod
    def _a_case_prefix(cls, prefix: str | None) -> str | None:
        if prefix is not None:
            try:
                validate_case_prefix(prefix)
            except DjangoValidationError:
                raise fail(
                    _("%(v)s is not a case prefix like WP: capital letters and digits")
                    % {"v": show(prefix)}
                ) from None
        return prefix

    @model_validator(mode="before")
    @classmethod
    def _a_name_alone(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, Node) and value.is_scalar else value


class Weekly(Strict):
    """A week's opening hours; a day not written is closed."""

    mon: Intervals | None = None
    tue: Intervals | None = None
    wed: Intervals | None = None
    thu: Intervals | None = None
    fri: Intervals | None = None
    sat: Intervals | None = None
    sun: Intervals | None = None


class CalendarEntry(Strict):
    timezone: TimeZone
    weekly: Weekly
    country: Country | None = None
    subdivision: Text | None = None
    holidays: list[Date] = []
    exceptions: dict[DateKey, Intervals] = {}
    brand: Text | None = None

    @field_validator("subdivision")
    @classmethod
    def _of_the_country(cls, code: str, info: ValidationInfo) -> str:
        country = info.data.get("country")
        if country is None:
            raise fail(_("a subdivision needs a country"))
        known = holidays.list_supported_countries().get(country, [])
        if code not in known:
            raise fail(
                _("%(v)s is not a subdivision of %(country)s (known: %(known)s)")
                % {"v": show(code), "country": country, "known": ", ".join(known) or "-"}
            )
        return code

    @model_validator(mode="after")
    def _the_kernel_accepts_it(self) -> "CalendarEntry":
        try:
            Calendar(
                self.timezone,
                {day: span_pairs(spans) for day, spans in self.weekly_hours().items()},
                holidays=self.holidays,
                country=self.country,
                subdivision=self.subdivision,
                exceptions={
                    date.fromisoformat(day): span_pairs(spans)
                    for day, spans in self.exceptions.items()
                },
            )
        except (ValueError, TypeError) as exc:
            raise fail(kernel_message(exc)) from None
        return self

    def weekly_hours(self) -> dict[str, list[str]]:
        return self.weekly.model_dump(exclude_none=True)


Roles = Annotated[list[Annotated[str, choice(ContactRole.values)]], ONE_OR_MANY, UNIQUE]


class Target(Strict):
    metric: Annotated[str, choice(Metric.values)]
    within: Duration | None = None
    business_days: PositiveInt | None = None
    calendar: Text | None = None
    priority: Annotated[list[Annotated[str, choice(Priority.values)]], ONE_OR_MANY, UNIQUE] = []
    channel: Annotated[list[Annotated[str, choice(Channel.values)]], ONE_OR_MANY, UNIQUE] = []
    designated: Bool | None = None
    guaranteed: Bool = True

    @model_validator(mode="after")
    def _one_deadline(self) -> "Target":
        if (self.within is None) == (self.business_days is None):
            raise fail(_("give exactly one of within (e.g. 4h) or business_days (e.g. 1)"))
        if self.calendar == ALWAYS and self.business_days is not None:
            raise fail(
                _("business_days count the plan's business days; drop calendar: always"),
                "calendar",
            )
        return self

    def spec(self) -> TargetSpec:
        return TargetSpec(
            metric=self.metric,
            within=self.within,
            business_days=self.business_days,
            priorities=self.priority,
            channels=self.channel,
            designated=self.designated,
            around_the_clock=self.calendar == ALWAYS,
            guaranteed=self.guaranteed,
        )


class Billing(Strict):
    currency: Currency = "EUR"
    rate_in_hours: Annotated[Decimal, amount(10)] = Decimal(0)
    rate_out_of_hours: Annotated[Decimal, amount(10)] = Decimal(0)
    block_in_hours: Duration = timedelta(minutes=15)
    block_out_of_hours: Duration = timedelta(minutes=30)


class PlanEntry(Strict):
    name: Text
    calendar: Text
    brand: Text | None = None
    pause_when_waiting: Bool = True
    automatic_escalation: Bool = False
    breach_credit_hours: Annotated[Decimal, amount(6)] = Decimal(0)
    designated_only: Bool = False
    assets_only: Bool = False
    fallback: Bool = False
    renewal_notice_days: PositiveInt = 60
    targets: list[Target] = []
    billing: Billing = Billing()
    entitlements: Annotated[
        dict[Annotated[str, key_of(Entitlement.values)], Roles],
        MAPPING,
        ordered_as(Entitlement.values),
    ] = {}
    priority_definitions: Annotated[
        dict[Annotated[str, key_of(Priority.values)], Texts], MAPPING, ordered_as(Priority.values)
    ] = {}

    def values(self) -> dict[str, Any]:
        """The plan's fields as ``save_plan`` takes them."""
        return {
            "name": self.name,
            "pause_when_waiting": self.pause_when_waiting,
            "renewal_notice_days": self.renewal_notice_days,
            "automatic_escalation": self.automatic_escalation,
            "breach_credit_hours": self.breach_credit_hours,
            "designated_only": self.designated_only,
            "assets_only": self.assets_only,
            "fallback": self.fallback,
            "entitlements": dict(self.entitlements),
            "priority_definitions": dict(self.priority_definitions),
            **self.billing.model_dump(),
        }


class AgentEntry(Strict):
    name: Text
    email: Email
    level: Annotated[str, choice(AgentLevel.values)]
    teams: list[TeamKey] = []
    brand: Text | None = None
    all_brands: Bool = False
    phone: Phone = ""
    extension: Extension = ""
    softphone: Softphone = ""

    @field_validator("teams")
    @classmethod
    def _once_each(cls, teams: list[str]) -> list[str]:
        return list(dict.fromkeys(teams))


class ContractTerms(Strict):
    start: Date
    end: Date | None = None
    monthly_fee: Annotated[Decimal, amount(10)] | None = None
    account_manager: Email | None = None
    calendar: Text | None = None

    @field_validator("end")
    @classmethod
    def _after_the_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise fail(_("the contract ends before it starts"))
        return end


class Designated(Strict):
    email: Email = ""
    phone: Phone = ""


class ContactEntry(Strict):
    name: Text
    role: Annotated[str, choice(ContactRole.values)]
    email: Email | None = None
    phone: Phone | None = None
    language: Annotated[str, choice(languages)] = ""


class PackEntry(Strict):
    kind: Annotated[str, choice(PackKind.values)]
    hours: Annotated[Decimal, amount(8, positive=True)]
    purchased: Date | None = None
    start: Month | None = None
    end: Month | None = None

    @field_validator("purchased")
    @classmethod
    def _single_is_bought_on_a_day(cls, purchased: date, info: ValidationInfo) -> date:
        if info.data.get("kind") == PackKind.MONTHLY:
            raise fail(_("a monthly pack has start and end months"))
        return purchased

    @field_validator("start", "end")
    @classmethod
    def _monthly_runs_for_months(cls, month: date, info: ValidationInfo) -> date:
        if info.data.get("kind") == PackKind.SINGLE:
            raise fail(_("a single pack has a purchase date, not months"))
        return month

    @model_validator(mode="after")
    def _dated(self) -> "PackEntry":
        if self.kind == PackKind.SINGLE and self.purchased is None:
            raise fail(_("a single pack needs purchased: <date>"))
        if self.kind == PackKind.MONTHLY and self.start is None:
            raise fail(_("a monthly pack needs start: <month like 2026-01>"))
        if self.start and self.end and self.end < self.start:
            raise fail(_("the pack ends before it starts"), "end")
        return self

    @property
    def first_day(self) -> date | None:
        return self.purchased or self.start

    def spec(self) -> "PackSpec":
        return PackSpec(self.kind, self.hours, self.purchased, self.start, self.end)


_NO_PLAN = object()


class OrganizationEntry(Strict):
    name: Text
    brand: Text | None = None
    plan: Text | None = None
    contract: ContractTerms | None = None
    designated: Designated | None = None
    contacts: list[ContactEntry] = []
    packs: list[PackEntry] = []
    support_pin: Pin | None = None
    assets: list[AssetEntry] = []

    @field_validator("contract", "designated")
    @classmethod
    def _under_a_plan(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("plan", _NO_PLAN) is None:  # no plan written (not: a bad one)
            raise fail(_("an organization without a plan has no contract"))
        return value

    @field_validator("contacts")
    @classmethod
    def _one_owner(cls, contacts: list[ContactEntry]) -> list[ContactEntry]:
        if sum(c.role == ContactRole.OWNER for c in contacts) > 1:
            raise fail(_("an organization has one owner"))
        return contacts

    @model_validator(mode="after")
    def _a_plan_has_a_contract(self) -> "OrganizationEntry":
        if self.plan is not None and self.contract is None:
            raise fail(_("a plan needs a contract: {start: 2026-01-01}"), "plan")
        return self


class WorldFile(Strict):
    brands: dict[SlugKey, BrandEntry] = {}
    calendars: dict[SlugKey, CalendarEntry] = {}
    plans: dict[SlugKey, PlanEntry] = {}
    organizations: dict[SlugKey, OrganizationEntry] = {}
    agents: list[AgentEntry] = []
    phone: PhoneSection | None = None
    status: StatusSection | None = None
    request_types: dict[SlugKey, RequestTypeEntry] = {}
    field: FieldSection | None = None
    #: The help centre's categories by key, named per language: ``{en: Billing, pl: ...}``.
    knowledge_categories: dict[SlugKey, Texts] = {}


# ---------------------------------------------------------------------- what the loader applies


@dataclass
class BrandSpec:
    slug: str
    name: str
    names: dict[str, str]
    prefix: str | None = None


@dataclass
class CalendarSpec:
    slug: str
    values: dict[str, Any]
    brand: str | None = None


@dataclass
class PlanSpec:
    slug: str
    calendar: str
    values: dict[str, Any]
    targets: list[TargetSpec]
    brand: str | None = None


@dataclass
class ContractSpec:
    plan: str
    start: date
    end: date | None = None
    monthly_fee: Decimal | None = None
    designated_email: str = ""
    designated_phone: str = ""
    account_manager: str | None = None
    calendar: str | None = None


@dataclass
class ContactSpec:
    name: str
    role: str
    email: str | None
    phone: str | None
    language: str


@dataclass
class PackSpec:
    kind: str
    hours: Decimal
    purchased: date | None = None
    start_month: date | None = None
    end_month: date | None = None


@dataclass
class OrganizationSpec:
    slug: str
    name: str
    contract: ContractSpec | None
    contacts: list[ContactSpec]
    packs: list[PackSpec]
    #: Its provider: as written, else its plan's brand (None: a desk without brands).
    brand: str | None = None
    #: The PIN a caller keys when calling from a number that is not registered.
    support_pin: str | None = None
    assets: list[AssetSpec] = field(default_factory=list)


@dataclass
class AgentSpec:
    name: str
    email: str
    level: str
    teams: list[str]
    brand: str | None = None
    all_brands: bool = False
    phone: str = ""
    extension: str = ""
    softphone: str = ""


@dataclass
class WorldSpec:
    brands: list[BrandSpec] = field(default_factory=list)
    calendars: list[CalendarSpec] = field(default_factory=list)
    plans: list[PlanSpec] = field(default_factory=list)
    agents: list[AgentSpec] = field(default_factory=list)
    organizations: list[OrganizationSpec] = field(default_factory=list)
    phone: PhoneSpec | None = None
    status: StatusSpec | None = None
    request_types: list[RequestTypeSpec] = field(default_factory=list)
    knowledge_categories: dict[str, dict[str, str]] = field(default_factory=dict)
    field_service: FieldSpec | None = None


def check_world(root: Node) -> tuple[WorldSpec, list[Problem]]:
    """Every problem in the document, and the specs to apply when there are none."""
    document = data(root)
    try:
        world = WorldFile.model_validate(document)
        found = []
    except ValidationError as exc:
        found = problems(exc, root, WorldFile)
        world = _valid_parts(document)
    references = References(root, world)
    found += references.check()
    if found:
        return WorldSpec(), found
    return _spec(world, references), []


def _valid_parts(document: Any) -> WorldFile:
    """The entries of a file with errors that are valid on their own, for the reference checks.

    An agent that is not valid is ``None`` in its place, so the others keep their index.
    """
    if not isinstance(document, dict):
        return WorldFile()
    parts: dict[str, Any] = {}
    for name, value in document.items():
        if name not in WorldFile.model_fields:
            continue
        collection = get_origin(WorldFile.model_fields[name].annotation)
        pieces: list[Any]
        if collection is dict and isinstance(value, dict):
            pieces = [{key: entry} for key, entry in value.items()]
        elif collection is list and isinstance(value, list):
            pieces = [[entry] for entry in value]
        else:
            pieces = [value]
        for piece in pieces:
            try:
                valid = getattr(WorldFile.model_validate({name: piece}), name)
            except ValidationError:
                valid = [None] if collection is list else None
            if collection is list:
                parts.setdefault(name, []).extend(valid)
            elif collection is dict and valid is not None:
                parts.setdefault(name, {}).update(valid)
            elif valid is not None:
                parts[name] = valid
    return WorldFile.model_construct(**parts)


def _spec(world: WorldFile, references: References) -> WorldSpec:
    spec = WorldSpec(
        brands=[
            BrandSpec(slug, b.name, dict(b.names), b.prefix) for slug, b in world.brands.items()
        ],
        calendars=[
            CalendarSpec(
                slug,
                {
                    "timezone": c.timezone,
                    "country": c.country or "",
                    "subdivision": c.subdivision or "",
                    "holidays": sorted({d.isoformat() for d in c.holidays}),
                    "weekly": c.weekly_hours(),
                    "exceptions": dict(sorted(c.exceptions.items())),
                },
                c.brand,
            )
            for slug, c in world.calendars.items()
        ],
        plans=[
            PlanSpec(slug, p.calendar, p.values(), [t.spec() for t in p.targets], p.brand)
            for slug, p in world.plans.items()
        ],
        agents=[
            AgentSpec(
                a.name,
                a.email,
                a.level,
                a.teams,
                a.brand,
                a.all_brands,
                a.phone,
                a.extension,
                a.softphone,
            )
            for a in world.agents
        ],
        phone=phone_spec(world.phone) if world.phone is not None else None,
        status=status_spec(world.status) if world.status is not None else None,
        request_types=request_type_specs(world.request_types),
        knowledge_categories={k: dict(v) for k, v in world.knowledge_categories.items()},
        field_service=field_spec(world.field) if world.field is not None else None,
    )
    for slug, org in world.organizations.items():
        contract = None
        if org.plan is not None and org.contract is not None:
            designated = org.designated or Designated()
            contract = ContractSpec(
                plan=org.plan,
                start=org.contract.start,
                end=org.contract.end,
                monthly_fee=org.contract.monthly_fee,
                designated_email=designated.email,
                designated_phone=designated.phone,
                account_manager=org.contract.account_manager,
                calendar=org.contract.calendar,
            )
        spec.organizations.append(
            OrganizationSpec(
                slug,
                org.name,
                contract,
                [ContactSpec(c.name, c.role, c.email, c.phone, c.language) for c in org.contacts],
                [pack.spec() for pack in org.packs],
                org.brand or (references.brand_of("plans", org.plan) if org.plan else None),
                org.support_pin,
                asset_specs(org.assets),
            )
        )
    return spec
