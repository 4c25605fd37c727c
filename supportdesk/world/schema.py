"""What a world file may say, checked in full before anything is written.

The checker walks the whole document, records every problem with its key path and line, and
builds plain specs that the loader applies. A typo is a problem, not a silently ignored key:
plans are contracts, and a misspelt ``guaranted: false`` must not turn into a promise.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from supportdesk.accounts.choices import AgentLevel, ContactRole
from supportdesk.accounts.models import Agent, Contact, RegisteredAddress
from supportdesk.accounts.services import InvalidAddress, normalize_email, normalize_phone
from supportdesk.plans.choices import ALWAYS, Metric, PackKind
from supportdesk.plans.models import BusinessCalendar, Plan
from supportdesk.plans.services import TargetSpec
from supportdesk.sla import Calendar
from supportdesk.tickets.choices import Channel, Priority
from supportdesk.world.source import Node, Problem, child_path, show

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: What a plan can grant, each to a list of contact roles (the rows of Zoom's matrix).
ENTITLEMENTS = (
    "help_center",
    "self_service",
    "chatbot",
    "live_chat",
    "ticket_l1",
    "email_l1",
    "chat_l1",
    "phone_l1",
    "ticket_l2",
    "email_l2",
    "chat_l2",
    "phone_l2",
)

_DURATION = re.compile(r"(?:(\d+)h)?\s*(?:(\d+)m)?")
_INTERVAL = re.compile(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_KERNEL_PREFIX = re.compile(r"^\w+\[[^\]]*\]: ")


@dataclass
class CalendarSpec:
    slug: str
    values: dict[str, Any]


@dataclass
class PlanSpec:
    slug: str
    calendar: str
    values: dict[str, Any]
    targets: list[TargetSpec]


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


@dataclass
class AgentSpec:
    name: str
    email: str
    level: str
    teams: list[str]


@dataclass
class WorldSpec:
    calendars: list[CalendarSpec] = field(default_factory=list)
    plans: list[PlanSpec] = field(default_factory=list)
    agents: list[AgentSpec] = field(default_factory=list)
    organizations: list[OrganizationSpec] = field(default_factory=list)


class _Invalid(Exception):
    """Raised inside a field check after its problem has been recorded."""


class Checker:
    """Small typed readers over ``Node``s; each records a problem and raises ``_Invalid``."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, node: Node, message: str, *, path: str | None = None) -> _Invalid:
        self.problems.append(Problem(node.line, node.path if path is None else path, message))
        return _Invalid()

    def field(
        self, reader: Callable[..., Any], node: Node | None, *args: Any, default=None, **kw: Any
    ) -> Any:
        """Read an optional value; a bad value is recorded and read as ``default``."""
        if node is None or node.value is None:
            return default
        try:
            return reader(node, *args, **kw)
        except _Invalid:
            return default

    # ------------------------------------------------------------------ structure

    def mapping(
        self, node: Node, *, required: Sequence[str] = (), optional: Sequence[str] = ()
    ) -> dict[str, Node]:
        if not node.is_mapping:
            raise self.fail(
                node, _("expected a mapping (key: value), got %(v)s") % {"v": show(node)}
            )
        allowed = (*required, *optional)
        for key, child in node.value.items():
            if key not in allowed:
                self.unknown_key(child, key, allowed)
        for key in required:
            if key not in node.value or node.value[key].value is None:
                self.problems.append(
                    Problem(node.line, child_path(node.path, key), _("this key is required"))
                )
        return {k: v for k, v in node.value.items() if k in allowed}

    def unknown_key(self, node: Node, key: str, allowed: Sequence[str]) -> None:
        close = get_close_matches(key, allowed, n=1)
        if close:
            message = _('unknown key "%(key)s"; did you mean "%(close)s"?') % {
                "key": key,
                "close": close[0],
            }
        else:
            message = _('unknown key "%(key)s" (expected one of: %(keys)s)') % {
                "key": key,
                "keys": ", ".join(allowed),
            }
        self.problems.append(Problem(node.key_line, node.path, message))

    def sequence(self, node: Node) -> list[Node]:
        if node.value is None:
            return []
        if not node.is_sequence:
            raise self.fail(node, _("expected a list, got %(v)s") % {"v": show(node)})
        return node.value

    def items(self, node: Node | None) -> list[tuple[str, Node]]:
        """The entries of an optional mapping of named things (calendars, plans, ...)."""
        if node is None or node.value is None:
            return []
        if not node.is_mapping:
            self.fail(node, _("expected a mapping of names to definitions"))
            return []
        return list(node.value.items())

    # ------------------------------------------------------------------ scalars

    def text(self, node: Node) -> str:
        """A string; a scalar YAML would read as a number, date or boolean counts as written."""
        if not node.is_scalar:
            raise self.fail(node, _("expected text, got %(v)s") % {"v": show(node)})
        value = node.value if isinstance(node.value, str) else node.raw
        if not value or not value.strip():
            raise self.fail(node, _("must not be empty"))
        return value.strip()

    def slug(self, node: Node, name: str) -> str:
        if not _SLUG.fullmatch(name):
            raise self.fail(
                node,
                _('"%(v)s" is not a key: use letters, digits, "-" and "_" only') % {"v": name},
            )
        return name

    def boolean(self, node: Node) -> bool:
        if not isinstance(node.value, bool):
            raise self.fail(node, _("%(v)s is not true or false") % {"v": show(node)})
        return node.value

    def choice(self, node: Node, choices: Iterable[str]) -> str:
        choices = list(choices)
        value = node.value if isinstance(node.value, str) else node.raw
        if value not in choices:
            raise self.fail(
                node,
                _("%(v)s is not one of %(choices)s")
                % {"v": show(value), "choices": ", ".join(choices)},
            )
        return value

    def choices(self, node: Node, choices: Iterable[str]) -> list[str]:
        """A list of choices; a single value is a list of one."""
        choices = list(choices)
        nodes = node.value if node.is_sequence else [node]
        picked, bad = [], False
        for item in nodes:
            try:
                value = self.choice(item, choices)
            except _Invalid:
                bad = True
                continue
            if value not in picked:
                picked.append(value)
        if bad:
            raise _Invalid()
        return picked

    def positive_int(self, node: Node) -> int:
        if isinstance(node.value, bool) or not isinstance(node.value, int) or node.value < 1:
            raise self.fail(node, _("%(v)s is not a whole number of 1 or more") % {"v": show(node)})
        return node.value

    def decimal(self, node: Node, *, max_digits: int, places: int = 2, positive=False) -> Decimal:
        value = node.value
        problem = _("%(v)s is not an amount like 45.00") % {"v": show(node)}
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(node, problem)
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(node, problem) from None
        if not amount.is_finite():
            raise self.fail(node, problem)
        if amount < 0:
            raise self.fail(node, _("%(v)s must not be negative") % {"v": show(node)})
        if positive and amount == 0:
            raise self.fail(node, _("%(v)s must be more than zero") % {"v": show(node)})
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise self.fail(
                node, _("%(v)s has more than %(n)s decimal places") % {"v": show(node), "n": places}
            )
        if amount.quantize(Decimal(1).scaleb(-places)).adjusted() + 1 > max_digits - places:
            raise self.fail(node, _("%(v)s is too large") % {"v": show(node)})
        return amount

    def duration(self, node: Node) -> timedelta:
        value = node.value if isinstance(node.value, str) else None
        match = _DURATION.fullmatch(value.strip()) if value else None
        if match is None or not (match[1] or match[2]):
            raise self.fail(
                node, _("%(v)s is not a duration like 15m or 4h") % {"v": show(node.raw)}
            )
        span = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
        if not span:
            raise self.fail(node, _("%(v)s must be longer than zero") % {"v": show(node.raw)})
        return span

    def date(self, node: Node) -> date:
        value = node.value
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if isinstance(value, datetime) or not isinstance(value, date):
            raise self.fail(node, _("%(v)s is not a date like 2026-01-31") % {"v": show(node.raw)})
        return value

    def month(self, node: Node) -> date:
        """A month, ``2026-01``, as its first day."""
        value = node.value
        if isinstance(value, date) and not isinstance(value, datetime) and value.day == 1:
            return value
        match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
        if match and 1 <= int(match[2]) <= 12:
            return date(int(match[1]), int(match[2]), 1)
        raise self.fail(node, _("%(v)s is not a month like 2026-01") % {"v": show(node.raw)})

    def email(self, node: Node) -> str:
        value = self.text(node)
        try:
            validate_email(value)
            return normalize_email(value)
        except (ValidationError, InvalidAddress):
            raise self.fail(node, _("%(v)s is not an email address") % {"v": show(value)}) from None

    def phone(self, node: Node) -> str:
        value = self.text(node)
        try:
            return normalize_phone(value)
        except InvalidAddress:
            raise self.fail(
                node,
                _("%(v)s is not a phone number in international form like +351210000247")
                % {"v": show(value)},
            ) from None


class WorldChecker(Checker):
    """Checks a whole world document against the schema and the database's references."""

    def __init__(self, known: "Known") -> None:
        super().__init__()
        self.known = known
        self.spec = WorldSpec()

    def check(self, root: Node) -> WorldSpec:
        try:
            top = self.mapping(root, optional=("calendars", "plans", "organizations", "agents"))
        except _Invalid:
            return self.spec
        self._declare(top)
        for slug, node in self.items(top.get("calendars")):
            self._guard(self.calendar, slug, node)
        for slug, node in self.items(top.get("plans")):
            self._guard(self.plan, slug, node)
        agents = top.get("agents")
        if agents is not None:
            for node in self._guard(self.sequence, agents) or []:
                self._guard(self.agent, node)
        for slug, node in self.items(top.get("organizations")):
            self._guard(self.organization, slug, node)
        self.cross_checks(top)
        return self.spec

    def _declare(self, top: dict[str, Node]) -> None:
        """Names the file defines, valid or not, so one bad definition is reported once."""
        self.declared: dict[str, set[str]] = {"calendars": set(), "plans": set(), "agents": set()}
        for kind in ("calendars", "plans"):
            node = top.get(kind)
            if node is not None and node.is_mapping:
                self.declared[kind] = set(node.value)
        agents = top.get("agents")
        for item in agents.value if agents is not None and agents.is_sequence else []:
            email = item.value.get("email") if item.is_mapping else None
            if email is not None and email.raw:
                self.declared["agents"].add(email.raw.strip().lower())

    def _guard(self, check: Callable[..., Any], *args: Any) -> Any:
        try:
            return check(*args)
        except _Invalid:
            return None

    # ------------------------------------------------------------------ calendars

    def calendar(self, slug: str, node: Node) -> None:
        self._guard(self.slug, node, slug)
        keys = self.mapping(
            node,
            required=("timezone", "weekly"),
            optional=("country", "subdivision", "holidays", "exceptions"),
        )
        timezone = self.field(self.timezone, keys.get("timezone"))
        country = self.field(self.country, keys.get("country"))
        subdivision = self.field(self.subdivision, keys.get("subdivision"), country)
        closed = [
            d
            for item in self.field(self.sequence, keys.get("holidays"), default=[])
            if (d := self.field(self.date, item)) is not None
        ]
        weekly: dict[str, list[str]] = {}
        weekly_node = keys.get("weekly")
        if weekly_node is not None and weekly_node.value is not None:
            days = self._guard(lambda: self.mapping(weekly_node, optional=WEEKDAYS)) or {}
            for day, spans_node in days.items():
                spans = self.field(self.intervals, spans_node, default=None)
                if spans is not None:
                    weekly[day] = spans
        exceptions: dict[str, list[str]] = {}
        for key, spans_node in self.items(keys.get("exceptions")):
            key_node = Node(key, spans_node.key_line, spans_node.path, 0, raw=key)
            day = self.field(self.date, key_node)
            spans = self.field(self.intervals, spans_node, default=None)
            if day is not None and spans is not None:
                exceptions[day.isoformat()] = spans
        if timezone is None:
            return
        try:
            Calendar(
                timezone,
                _pairs(weekly),
                holidays=closed,
                country=country,
                subdivision=subdivision,
                exceptions={date.fromisoformat(d): _span_pairs(s) for d, s in exceptions.items()},
            )
        except (ValueError, TypeError) as exc:
            raise self.fail(node, _KERNEL_PREFIX.sub("", str(exc))) from None
        self.spec.calendars.append(
            CalendarSpec(
                slug,
                {
                    "timezone": timezone,
                    "country": country or "",
                    "subdivision": subdivision or "",
                    "holidays": sorted({d.isoformat() for d in closed}),
                    "weekly": weekly,
                    "exceptions": dict(sorted(exceptions.items())),
                },
            )
        )

    def timezone(self, node: Node) -> str:
        name = self.text(node)
        try:
            ZoneInfo(name)
        except (KeyError, ValueError, OSError):
            raise self.fail(
                node, _("%(v)s is not a time zone like Europe/Lisbon") % {"v": show(name)}
            ) from None
        return name

    def country(self, node: Node) -> str:
        code = (node.raw if not isinstance(node.value, str) else node.value).strip().upper()
        if code not in holidays.list_supported_countries():
            raise self.fail(
                node,
                _("%(v)s is not a country code the holidays package knows, like PT or PL")
                % {"v": show(code)},
            )
        return code

    def subdivision(self, node: Node, country: str | None) -> str:
        code = self.text(node)
        if country is None:
            raise self.fail(node, _("a subdivision needs a country"))
        known = holidays.list_supported_countries().get(country, [])
        if code not in known:
            raise self.fail(
                node,
                _("%(v)s is not a subdivision of %(country)s (known: %(known)s)")
                % {"v": show(code), "country": country, "known": ", ".join(known) or "-"},
            )
        return code

    def intervals(self, node: Node) -> list[str]:
        """A day's opening hours, ``["09:00-13:00", ...]``, checked by the kernel itself."""
        spans = []
        for item in self.sequence(node):
            text = item.value if isinstance(item.value, str) else None
            match = _INTERVAL.fullmatch(text.replace(" ", "")) if text else None
            if match is None:
                raise self.fail(
                    item, _("%(v)s is not an interval like 09:00-13:00") % {"v": show(item.raw)}
                )
            spans.append(f"{_hhmm(match[1])}-{_hhmm(match[2])}")
        try:
            Calendar("UTC", {"mon": _span_pairs(spans)})
        except ValueError as exc:
            raise self.fail(node, _KERNEL_PREFIX.sub("", str(exc))) from None
        return spans

    # ------------------------------------------------------------------ plans

    def plan(self, slug: str, node: Node) -> None:
        self._guard(self.slug, node, slug)
        keys = self.mapping(
            node,
            required=("name", "calendar"),
            optional=(
                "pause_when_waiting",
                "automatic_escalation",
                "breach_credit_hours",
                "designated_only",
                "fallback",
                "targets",
                "billing",
                "entitlements",
                "priority_definitions",
            ),
        )
        name = self.field(self.text, keys.get("name"))
        calendar = self.calendar_ref(keys.get("calendar"))
        values: dict[str, Any] = {
            "name": name,
            "pause_when_waiting": self.field(
                self.boolean, keys.get("pause_when_waiting"), default=True
            ),
            "automatic_escalation": self.field(
                self.boolean, keys.get("automatic_escalation"), default=False
            ),
            "breach_credit_hours": self.field(
                self.decimal, keys.get("breach_credit_hours"), default=Decimal(0), max_digits=6
            ),
            "designated_only": self.field(self.boolean, keys.get("designated_only"), default=False),
            "fallback": self.field(self.boolean, keys.get("fallback"), default=False),
            "entitlements": self.field(self.entitlements, keys.get("entitlements"), default={}),
            "priority_definitions": self.field(
                self.priority_definitions, keys.get("priority_definitions"), default={}
            ),
            **self.billing(keys.get("billing")),
        }
        targets = []
        for row in self.field(self.sequence, keys.get("targets"), default=[]):
            target = self.field(self.target, row, calendar)
            if target is not None:
                targets.append(target)
        self.spec.plans.append(PlanSpec(slug, calendar or "", values, targets))

    def billing(self, node: Node | None) -> dict[str, Any]:
        values: dict[str, Any] = {
            "currency": "EUR",
            "rate_in_hours": Decimal(0),
            "rate_out_of_hours": Decimal(0),
            "block_in_hours": timedelta(minutes=15),
            "block_out_of_hours": timedelta(minutes=30),
        }
        if node is None or node.value is None:
            return values
        keys = self._guard(lambda: self.mapping(node, optional=tuple(values))) or {}
        if "currency" in keys:
            values["currency"] = self.field(self.currency, keys["currency"], default="EUR")
        for rate in ("rate_in_hours", "rate_out_of_hours"):
            values[rate] = self.field(
                self.decimal, keys.get(rate), default=values[rate], max_digits=10
            )
        for block in ("block_in_hours", "block_out_of_hours"):
            values[block] = self.field(self.duration, keys.get(block), default=values[block])
        return values

    def currency(self, node: Node) -> str:
        code = self.text(node)
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise self.fail(node, _("%(v)s is not a currency code like EUR") % {"v": show(code)})
        return code

    def entitlements(self, node: Node) -> dict[str, list[str]]:
        keys = self.mapping(node, optional=ENTITLEMENTS)
        granted = {}
        for name in ENTITLEMENTS:
            if name in keys:
                roles = self.field(self.choices, keys[name], ContactRole.values)
                if roles is not None:
                    granted[name] = roles
        return granted

    def priority_definitions(self, node: Node) -> dict[str, str]:
        keys = self.mapping(node, optional=Priority.values)
        return {
            p: text
            for p in Priority.values
            if p in keys and (text := self.field(self.text, keys[p])) is not None
        }

    def target(self, node: Node, plan_calendar: str | None) -> TargetSpec:
        keys = self.mapping(
            node,
            required=("metric",),
            optional=(
                "within",
                "business_days",
                "calendar",
                "priority",
                "channel",
                "designated",
                "guaranteed",
            ),
        )
        metric = self.field(self.choice, keys.get("metric"), Metric.values)
        within = self.field(self.duration, keys.get("within"))
        business_days = self.field(self.positive_int, keys.get("business_days"))
        if ("within" in keys) == ("business_days" in keys):
            self.fail(node, _("give exactly one of within (e.g. 4h) or business_days (e.g. 1)"))
        around_the_clock = False
        calendar_node = keys.get("calendar")
        if calendar_node is not None:
            name = self.field(self.text, calendar_node)
            if name == ALWAYS:
                around_the_clock = True
                if "business_days" in keys:
                    self.fail(
                        calendar_node,
                        _("business_days count the plan's business days; drop calendar: always"),
                    )
            elif name is not None and name != plan_calendar:
                self.fail(
                    calendar_node,
                    _('%(v)s: a target runs on the plan\'s calendar ("%(plan)s") or "always"')
                    % {"v": show(name), "plan": plan_calendar},
                )
        return TargetSpec(
            metric=metric or "",
            within=within,
            business_days=business_days,
            priorities=self.field(self.choices, keys.get("priority"), Priority.values, default=[]),
            channels=self.field(self.choices, keys.get("channel"), Channel.values, default=[]),
            designated=self.field(self.boolean, keys.get("designated")),
            around_the_clock=around_the_clock,
            guaranteed=self.field(self.boolean, keys.get("guaranteed"), default=True),
        )

    # ------------------------------------------------------------------ people

    def agent(self, node: Node) -> None:
        keys = self.mapping(node, required=("name", "email", "level"), optional=("teams",))
        name = self.field(self.text, keys.get("name"))
        email = self.field(self.email, keys.get("email"))
        level = self.field(self.choice, keys.get("level"), AgentLevel.values)
        teams = []
        for item in self.field(self.sequence, keys.get("teams"), default=[]):
            team = self.field(self.text, item)
            if team is not None and self._guard(self.slug, item, team) and team not in teams:
                teams.append(team)
        if email is not None:
            self.known.claim_email(self, keys["email"], email, "agent")
        if name and email and level:
            self.spec.agents.append(AgentSpec(name, email, level, teams))

    def organization(self, slug: str, node: Node) -> None:
        self._guard(self.slug, node, slug)
        keys = self.mapping(
            node,
            required=("name",),
            optional=("plan", "contract", "designated", "contacts", "packs"),
        )
        name = self.field(self.text, keys.get("name"))
        contract = self.contract(keys)
        contacts = []
        for item in self.field(self.sequence, keys.get("contacts"), default=[]):
            contact = self.field(self.contact, item, slug)
            if contact is not None:
                contacts.append(contact)
        packs = []
        seen: dict[tuple[str, date | None], Node] = {}
        for item in self.field(self.sequence, keys.get("packs"), default=[]):
            pack = self.field(self.pack, item)
            if pack is None:
                continue
            key = (pack.kind, pack.purchased or pack.start_month)
            if key in seen:
                message = _(
                    "a %(kind)s pack from %(day)s is already listed on line %(line)s; "
                    "write them as one pack"
                )
                self.fail(
                    item, message % {"kind": pack.kind, "day": key[1], "line": seen[key].line}
                )
                continue
            seen[key] = item
            packs.append(pack)
        if name is not None:
            self.spec.organizations.append(OrganizationSpec(slug, name, contract, contacts, packs))

    def calendar_ref(self, node: Node | None) -> str | None:
        """The slug of a calendar this file or the database defines."""
        slug = self.field(self.text, node)
        if slug is not None and slug not in self.known.calendars(self.declared["calendars"]):
            self.fail(
                node,
                _('calendar "%(ref)s" is neither in this file nor in the database') % {"ref": slug},
            )
        return slug

    def contract(self, keys: dict[str, Node]) -> ContractSpec | None:
        plan_node = keys.get("plan")
        plan = self.field(self.text, plan_node)
        if plan is None:
            for key in ("contract", "designated"):
                if key in keys:
                    self.fail(keys[key], _("an organization without a plan has no contract"))
            return None
        if plan not in self.known.plans(self.declared["plans"]):
            self.fail(
                plan_node,
                _('plan "%(ref)s" is neither in this file nor in the database') % {"ref": plan},
            )
        contract_node = keys.get("contract")
        if contract_node is None:
            self.fail(plan_node, _("a plan needs a contract: {start: 2026-01-01}"))
            return None
        terms = self._guard(
            lambda: self.mapping(
                contract_node,
                required=("start",),
                optional=("end", "monthly_fee", "account_manager", "calendar"),
            )
        )
        if terms is None:
            return None
        start = self.field(self.date, terms.get("start"))
        end = self.field(self.date, terms.get("end"))
        if start and end and end < start:
            self.fail(terms["end"], _("the contract ends before it starts"))
        manager = self.field(self.email, terms.get("account_manager"))
        if manager is not None and manager not in self.known.agents(self.declared["agents"]):
            self.fail(
                terms["account_manager"],
                _('account manager "%(ref)s" is not an agent in this file or the database')
                % {"ref": manager},
            )
        calendar = self.calendar_ref(terms.get("calendar"))
        designated_email = designated_phone = ""
        designated = keys.get("designated")
        if designated is not None:
            addresses = self._guard(lambda: self.mapping(designated, optional=("email", "phone")))
            addresses = addresses or {}
            designated_email = self.field(self.email, addresses.get("email"), default="")
            designated_phone = self.field(self.phone, addresses.get("phone"), default="")
        if start is None:
            return None
        return ContractSpec(
            plan=plan,
            start=start,
            end=end,
            monthly_fee=self.field(self.decimal, terms.get("monthly_fee"), max_digits=10),
            designated_email=designated_email,
            designated_phone=designated_phone,
            account_manager=manager,
            calendar=calendar,
        )

    def contact(self, node: Node, organization: str) -> ContactSpec:
        keys = self.mapping(
            node, required=("name", "role"), optional=("email", "phone", "language")
        )
        name = self.field(self.text, keys.get("name"))
        role = self.field(self.choice, keys.get("role"), ContactRole.values)
        email = self.field(self.email, keys.get("email"))
        phone = self.field(self.phone, keys.get("phone"))
        language = self.field(
            self.choice, keys.get("language"), [code for code, _n in settings.LANGUAGES], default=""
        )
        if email is not None:
            self.known.claim_email(self, keys["email"], email, "contact", organization)
        if phone is not None:
            self.known.claim_phone(self, keys["phone"], phone, organization)
        if name is None or role is None:
            raise _Invalid()
        return ContactSpec(name, role, email, phone, language)

    def pack(self, node: Node) -> PackSpec:
        keys = self.mapping(
            node,
            required=("kind", "hours"),
            optional=("purchased", "start", "end"),
        )
        kind = self.field(self.choice, keys.get("kind"), PackKind.values)
        hours = self.field(self.decimal, keys.get("hours"), max_digits=8, positive=True)
        if kind == PackKind.SINGLE:
            for key in ("start", "end"):
                if key in keys:
                    self.fail(keys[key], _("a single pack has a purchase date, not months"))
            if "purchased" not in keys:
                raise self.fail(node, _("a single pack needs purchased: <date>"))
            purchased = self.date(keys["purchased"])
            if hours is None:
                raise _Invalid()
            return PackSpec(kind, hours, purchased=purchased)
        if kind == PackKind.MONTHLY:
            if "purchased" in keys:
                self.fail(keys["purchased"], _("a monthly pack has start and end months"))
            if "start" not in keys:
                raise self.fail(node, _("a monthly pack needs start: <month like 2026-01>"))
            start = self.month(keys["start"])
            end = self.field(self.month, keys.get("end"))
            if end is not None and end < start:
                self.fail(keys["end"], _("the pack ends before it starts"))
            if hours is None:
                raise _Invalid()
            return PackSpec(kind, hours, start_month=start, end_month=end)
        raise _Invalid()

    # ------------------------------------------------------------------ the whole

    def cross_checks(self, top: dict[str, Node]) -> None:
        fallbacks = [p.slug for p in self.spec.plans if p.values.get("fallback")]
        in_file = {p.slug for p in self.spec.plans}
        others = [s for s in self.known.fallback_plans() if s not in in_file]
        if len(fallbacks) + len(others) > 1:
            node = top.get("plans") or Node(None, 1, "plans", 1)
            self.fail(
                node,
                _("only one plan can be the fallback; found %(plans)s")
                % {"plans": ", ".join(fallbacks + [f"{s} (database)" for s in others])},
            )


def _hhmm(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


def _span_pairs(spans: Sequence[str]) -> list[tuple[str, str]]:
    return [tuple(s.split("-")) for s in spans]  # type: ignore[misc]


def _pairs(weekly: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    return {day: _span_pairs(spans) for day, spans in weekly.items()}


class Known:
    """What the database already holds that a world file may refer to or collide with."""

    def __init__(self) -> None:
        self._calendars = set(BusinessCalendar.objects.values_list("slug", flat=True))
        self._plans = set(Plan.objects.values_list("slug", flat=True))
        self._fallbacks = list(Plan.objects.filter(fallback=True).values_list("slug", flat=True))
        self._agents = set(Agent.objects.values_list("user__email", flat=True))
        self._claimed: dict[str, Node] = {}

    def calendars(self, declared: set[str]) -> set[str]:
        return self._calendars | declared

    def plans(self, declared: set[str]) -> set[str]:
        return self._plans | declared

    def agents(self, declared: set[str]) -> set[str]:
        return self._agents | declared

    def fallback_plans(self) -> list[str]:
        return self._fallbacks

    def _first_claim(self, checker: Checker, node: Node, value: str) -> bool:
        previous = self._claimed.get(value)
        if previous is not None:
            checker.fail(
                node,
                _("%(v)s is already used on line %(line)s")
                % {"v": show(value), "line": previous.line},
            )
            return False
        self._claimed[value] = node
        return True

    def claim_email(
        self, checker: Checker, node: Node, email: str, kind: str, organization: str = ""
    ) -> None:
        """An email identifies one person: one agent, or one contact of one organization."""
        if not self._first_claim(checker, node, email):
            return
        if kind == "agent":
            org = (
                Contact.objects.filter(user__email=email)
                .values_list("organization__slug", flat=True)
                .first()
            )
            if org is not None:
                checker.fail(
                    node,
                    _("%(v)s is a customer contact of %(org)s in the database")
                    % {"v": show(email), "org": org},
                )
        elif email in self._agents:
            checker.fail(node, _("%(v)s is an agent in the database") % {"v": show(email)})
        else:
            self._check_address(checker, node, email, organization)

    def claim_phone(self, checker: Checker, node: Node, phone: str, organization: str) -> None:
        if self._first_claim(checker, node, phone):
            self._check_address(checker, node, phone, organization)

    def _check_address(self, checker: Checker, node: Node, value: str, organization: str) -> None:
        owners = set(
            RegisteredAddress.objects.filter(value=value)
            .exclude(contact__organization__slug=organization)
            .values_list("contact__organization__slug", flat=True)
        )
        if owners:
            checker.fail(
                node,
                _("%(v)s is registered to a contact of %(org)s in the database")
                % {"v": show(value), "org": ", ".join(sorted(owners))},
            )


def check_world(root: Node) -> tuple[WorldSpec, list[Problem]]:
    """Every problem in the document, and the specs to apply when there are none."""
    checker = WorldChecker(Known())
    spec = checker.check(root)
    return spec, checker.problems
