"""Replaying dated history through the same services as live traffic.

Each line of a history file is one event of one case (``received``, ``reply``, ...). Events go
through ``tickets.services`` with ``at=`` their own instant, so a replayed case keeps exactly
the clocks, pauses, breaches and credits it would have had live; then the clocks are swept as
of now. The whole file is one transaction: a bad line names itself and leaves nothing behind.

Event kinds are a dispatch table. Another app adds one with ``@event_kind("work", ...)``.
Lines that move a case's clocks must come in the case's order; lines that do not (work) may
come in any order once the case was received, since providers export tickets and time sheets
separately and import them one after the other.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization, Team, User
from supportdesk.accounts.services import find_contact
from supportdesk.assets.models import Asset
from supportdesk.assets.services import asset_of
from supportdesk.billing import services as billing
from supportdesk.billing.choices import EntrySource
from supportdesk.billing.errors import BillingError
from supportdesk.field import services as field_work
from supportdesk.field.models import Loaner, Visit
from supportdesk.remote import services as remote
from supportdesk.remote.errors import RemoteError
from supportdesk.tickets import services
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case

COMMON_KEYS = ("at", "case", "event")


class HistoryError(Exception):
    """A line that cannot be replayed; the import stops there and writes nothing."""

    def __init__(self, line: int, message: str, source: str = "<history>"):
        self.line, self.message, self.source = line, message, source
        super().__init__(self.format())

    def format(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class LineError(ValueError):
    """Raised by a handler; the replay adds the line number."""


@dataclass(frozen=True)
class EventKind:
    handler: Callable[["Replay", dict[str, Any], datetime], None]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    at_from: str | None = None
    moves_clocks: bool = True


EVENT_KINDS: dict[str, EventKind] = {}


def event_kind(
    name: str,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    at_from: str | None = None,
    moves_clocks: bool = True,
) -> Callable[[Callable], Callable]:
    """Register a handler for ``{"event": name, ...}`` lines, with the keys it accepts.

    ``at_from``: the key whose instant stands for ``at`` when a line has none (work is
    recorded when it ends). ``moves_clocks=False``: the line changes no clock, so it need not
    follow the case's other lines, only its receipt."""

    def register(handler: Callable) -> Callable:
        EVENT_KINDS[name] = EventKind(
            handler, tuple(required), tuple(optional), at_from, moves_clocks
        )
        return handler

    return register


@dataclass
class ImportReport:
    events: int = 0
    cases: set[str] = field(default_factory=set)
    breaches: int = 0

    def summary(self) -> str:
        return _("%(events)s events on %(cases)s cases replayed; %(breaches)s clocks breached") % {
            "events": self.events,
            "cases": len(self.cases),
            "breaches": self.breaches,
        }


class Replay:
    """The state of one import: the cases seen so far and their last instant."""

    def __init__(self, now: datetime):
        self.now = now
        self.report = ImportReport()
        self._cases: dict[str, Case] = {}
        self._last: dict[str, datetime] = {}
        self._agents: dict[str, User] = {}

    # ------------------------------------------------------------------ lookups for handlers

    def case(self, reference: str) -> Case:
        case = self._cases.get(reference)
        if case is None:
            case = Case.objects.filter(reference=reference).first()
            if case is None:
                raise LineError(_('unknown case "%(case)s"') % {"case": reference})
            self._cases[reference] = case
        return case

    def agent(self, email: Any) -> User:
        email = text(email, "by")
        user = self._agents.get(email.lower())
        if user is None:
            user = User.objects.filter(email__iexact=email, agent__isnull=False).first()
            if user is None:
                raise LineError(_('unknown agent "%(email)s"') % {"email": email})
            self._agents[email.lower()] = user
        return user

    def optional_agent(self, record: dict[str, Any], key: str = "by") -> User | None:
        return self.agent(record[key]) if record.get(key) is not None else None

    def remember(self, reference: str, case: Case) -> None:
        self._cases[reference] = case

    # ------------------------------------------------------------------ the loop

    def apply(self, line: int, record: Any) -> None:
        if not isinstance(record, dict):
            raise LineError(_("expected a JSON object"))
        event = record.get("event")
        declared = EVENT_KINDS.get(event) if isinstance(event, str) else None
        if declared and declared.at_from and record.get("at") in (None, ""):
            record = {**record, "at": record.get(declared.at_from)}
        missing = [k for k in COMMON_KEYS if record.get(k) in (None, "")]
        if missing:
            raise LineError(_("missing %(keys)s") % {"keys": ", ".join(missing)})
        name = record["event"]
        kind = EVENT_KINDS.get(name) if isinstance(name, str) else None
        if kind is None:
            raise LineError(
                _('unknown event "%(event)s" (expected one of: %(kinds)s)')
                % {"event": name, "kinds": ", ".join(EVENT_KINDS)}
            )
        allowed = {*COMMON_KEYS, *kind.required, *kind.optional}
        unknown = sorted(set(record) - allowed)
        if unknown:
            raise LineError(
                _('unknown key "%(key)s" for a %(event)s event (expected: %(keys)s)')
                % {"key": unknown[0], "event": name, "keys": ", ".join(sorted(allowed))}
            )
        missing = [k for k in kind.required if record.get(k) in (None, "")]
        if missing:
            raise LineError(
                _("a %(event)s event needs %(keys)s") % {"event": name, "keys": ", ".join(missing)}
            )
        at = instant(record["at"])
        if at > self.now:
            raise LineError(_("%(at)s is in the future") % {"at": record["at"]})
        reference = text(record["case"], "case")
        self._check_order(reference, name, kind, record["at"], at)
        try:
            kind.handler(self, {**record, "case": reference}, at)
        except CaseError as exc:
            raise LineError(exc.message) from None
        if kind.moves_clocks:
            self._last[reference] = at
        self.report.events += 1
        self.report.cases.add(reference)

    def _check_order(
        self, reference: str, name: str, kind: EventKind, written: str, at: datetime
    ) -> None:
        """A line that moves clocks may not come before the case's previous such line; any
        other line only not before the case was received."""
        if not kind.moves_clocks:
            received = self.case(reference).received_at
            if at < received:
                raise LineError(
                    _("%(at)s is earlier than the receipt of case %(case)s (%(received)s)")
                    % {"at": written, "case": reference, "received": received.isoformat()}
                )
            return
        last = self._last.get(reference)
        if last is None and name != "received":
            last = self.case(reference).updated_at
        if last is not None and at < last:
            raise LineError(
                _("%(at)s is earlier than the previous event of case %(case)s (%(last)s)")
                % {"at": written, "case": reference, "last": last.isoformat()}
            )


def instant(value: Any) -> datetime:
    """An aware ISO 8601 instant, in UTC; a naive one would be a guess, so it is refused."""
    problem = _("at: %(v)s is not an ISO 8601 instant") % {"v": json.dumps(value)}
    if not isinstance(value, str):
        raise LineError(problem)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise LineError(problem) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise LineError(
            _("at: %(v)s has no UTC offset (write e.g. 2026-03-02T17:55:00+00:00)")
            % {"v": json.dumps(value)}
        )
    return parsed.astimezone(UTC)


def text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LineError(_("%(key)s: %(v)s is not text") % {"key": key, "v": json.dumps(value)})
    return value.strip()


def optional_text(record: dict[str, Any], key: str, default: str = "") -> str:
    value = record.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise LineError(_("%(key)s: %(v)s is not text") % {"key": key, "v": json.dumps(value)})
    return value


def replay(
    records: Iterable[tuple[int, Any]], *, source: str = "<history>", now: datetime | None = None
) -> ImportReport:
    """Apply ``(line number, event)`` pairs in one transaction, then sweep as of ``now``."""
    state = Replay(now or timezone.now())
    with transaction.atomic():
        for line, record in records:
            try:
                state.apply(line, record)
            except LineError as exc:
                raise HistoryError(line, str(exc), source) from None
        state.report.breaches = services.sweep(state.now)
    return state.report


def import_history(
    lines: Iterable[str], *, source: str = "<history>", now: datetime | None = None
) -> ImportReport:
    """Replay a JSON-lines history (blank lines are skipped)."""
    return replay(_records(lines, source), source=source, now=now)


def _records(lines: Iterable[str], source: str) -> Iterable[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise HistoryError(
                number, _("not valid JSON: %(reason)s") % {"reason": exc.msg}, source
            ) from None


# ---------------------------------------------------------------------- event kinds


@event_kind(
    "received",
    required=("channel",),
    optional=("org", "from", "to", "priority", "subject", "body", "asset"),
)
def _received(state: Replay, record: dict[str, Any], at: datetime) -> None:
    reference = text(record["case"], "case")
    if Case.objects.filter(reference=reference).exists():
        raise LineError(_('case "%(case)s" was already received') % {"case": reference})
    organization = None
    if record.get("org") is not None:
        slug = text(record["org"], "org")
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise LineError(_('unknown organization "%(org)s"') % {"org": slug})
    asset = None
    if record.get("asset") is not None:
        serial = text(record["asset"], "asset")
        asset = _asset_of(organization, optional_text(record, "from"), serial)
    case = services.open_case(
        subject=optional_text(record, "subject"),
        body=optional_text(record, "body"),
        channel=text(record["channel"], "channel"),
        priority=optional_text(record, "priority", "P3"),
        sender=optional_text(record, "from"),
        organization=organization,
        received_via=optional_text(record, "to"),
        reference=reference,
        at=at,
        asset=asset,
    )
    state.remember(reference, case)


def _asset_of(organization: Organization | None, sender: str, serial: str) -> Asset:
    """The device a received case names: one of its organization's (given, or the sender's)."""
    if organization is None and sender:
        contact = find_contact(sender)
        organization = contact.organization if contact is not None else None
    asset = asset_of(organization, serial)
    if asset is None:
        raise LineError(
            _('asset: "%(serial)s" is not a device of the organization of the case')
            % {"serial": serial}
        )
    return asset


@event_kind("reply", required=("by", "body"), optional=("public",))
def _reply(state: Replay, record: dict[str, Any], at: datetime) -> None:
    public = record.get("public", True)
    if not isinstance(public, bool):
        raise LineError(_("public: %(v)s is not true or false") % {"v": json.dumps(public)})
    services.post_reply(
        state.case(record["case"]),
        author=state.agent(record["by"]),
        body=text(record["body"], "body"),
        public=public,
        at=at,
        notify=False,
    )


@event_kind("customer_reply", required=("body",), optional=("from",))
def _customer_reply(state: Replay, record: dict[str, Any], at: datetime) -> None:
    case = state.case(record["case"])
    sender = optional_text(record, "from")
    contact = find_contact(sender) if sender else None
    if contact is not None and contact.organization_id != case.organization_id:
        contact = None
    services.add_customer_message(
        case, body=text(record["body"], "body"), contact=contact, sender=sender, at=at
    )


@event_kind("status", required=("status",), optional=("by",))
def _status(state: Replay, record: dict[str, Any], at: datetime) -> None:
    services.change_status(
        state.case(record["case"]),
        text(record["status"], "status"),
        actor=state.optional_agent(record),
        at=at,
    )


@event_kind("priority", required=("priority",), optional=("by",))
def _priority(state: Replay, record: dict[str, Any], at: datetime) -> None:
    services.change_priority(
        state.case(record["case"]),
        text(record["priority"], "priority"),
        actor=state.optional_agent(record),
        at=at,
    )


@event_kind("assign", optional=("to", "level", "team", "by"))
def _assign(state: Replay, record: dict[str, Any], at: datetime) -> None:
    if all(record.get(k) is None for k in ("to", "level", "team")):
        raise LineError(_("an assign event needs to, level or team"))
    team = None
    if record.get("team") is not None:
        slug = text(record["team"], "team")
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise LineError(_('unknown team "%(team)s"') % {"team": slug})
    level = text(record["level"], "level") if record.get("level") is not None else None
    services.assign(
        state.case(record["case"]),
        assignee=state.optional_agent(record, "to"),
        team=team,
        level=level,
        actor=state.optional_agent(record),
        at=at,
    )


@event_kind(
    "work",
    required=("by", "start", "end"),
    optional=("billable", "note"),
    at_from="end",
    moves_clocks=False,
)
def _work(state: Replay, record: dict[str, Any], at: datetime) -> None:
    """Time an agent spent on the case, billed by the plan (``billing.services.record_work``)."""
    span = {}
    for key in ("start", "end"):
        try:
            span[key] = instant(record[key])
        except LineError:
            raise LineError(
                _("%(key)s: %(v)s is not an ISO 8601 instant with a UTC offset")
                % {"key": key, "v": json.dumps(record[key])}
            ) from None
    if span["end"] > state.now:
        raise LineError(_("end: %(v)s is in the future") % {"v": record["end"]})
    billable = record.get("billable", True)
    if not isinstance(billable, bool):
        raise LineError(_("billable: %(v)s is not true or false") % {"v": json.dumps(billable)})
    try:
        billing.record_work(
            state.case(record["case"]),
            state.agent(record["by"]),
            span["start"],
            span["end"],
            billable,
            optional_text(record, "note"),
            source=EntrySource.IMPORT,
            at=at,
            # A provider's past time sheet is what it was: long entries are kept, and the
            # month's statement flags them, but there is nobody to confirm them now.
            confirm_long=True,
        )
    except BillingError as exc:
        raise LineError(exc.message) from None


# ------------------------------------------------------------------ field service


def _boolean(record: dict[str, Any], key: str) -> bool:
    value = record.get(key, False)
    if not isinstance(value, bool):
        raise LineError(
            _("%(key)s: %(v)s is not true or false") % {"key": key, "v": json.dumps(value)}
        )
    return value


def _instant_of(record: dict[str, Any], key: str) -> datetime:
    try:
        return instant(record[key])
    except LineError:
        raise LineError(
            _("%(key)s: %(v)s is not an ISO 8601 instant with a UTC offset")
            % {"key": key, "v": json.dumps(record[key])}
        ) from None


def _device(case: Case, record: dict[str, Any]) -> Asset | None:
    """The device a line names by serial, among the case's organization's."""
    if record.get("asset") is None:
        return None
    return _asset_of(case.organization, "", text(record["asset"], "asset"))


def _visit(case: Case) -> Visit:
    visit = case.visits.filter(departed_at__isnull=True).order_by("-decided_at", "-pk").first()
    if visit is None:
        raise LineError(
            _("case %(case)s has no visit under way (visit_needed first)")
            % {"case": case.reference}
        )
    return visit


@event_kind("visit_needed", required=("by",), optional=("purpose",))
def _visit_needed(state: Replay, record: dict[str, Any], at: datetime) -> None:
    field_work.decide_visit(
        state.case(record["case"]),
        actor=state.agent(record["by"]),
        at=at,
        purpose=optional_text(record, "purpose"),
    )


@event_kind("visit_scheduled", required=("by", "technician", "start", "end"), optional=("address",))
def _visit_scheduled(state: Replay, record: dict[str, Any], at: datetime) -> None:
    field_work.schedule_visit(
        _visit(state.case(record["case"])),
        technician=state.agent(record["technician"]),
        start=_instant_of(record, "start"),
        end=_instant_of(record, "end"),
        address=record.get("address") and text(record["address"], "address"),
        actor=state.agent(record["by"]),
        at=at,
    )


@event_kind("visit_arrived", required=("by",))
def _visit_arrived(state: Replay, record: dict[str, Any], at: datetime) -> None:
    field_work.arrive(_visit(state.case(record["case"])), actor=state.agent(record["by"]), at=at)


@event_kind("visit_departed", required=("by",), optional=("report",))
def _visit_departed(state: Replay, record: dict[str, Any], at: datetime) -> None:
    field_work.depart(
        _visit(state.case(record["case"])),
        report=optional_text(record, "report"),
        actor=state.agent(record["by"]),
        at=at,
    )


@event_kind("repair_taken", required=("by",), optional=("asset",))
def _repair_taken(state: Replay, record: dict[str, Any], at: datetime) -> None:
    case = state.case(record["case"])
    field_work.take_for_repair(
        case, actor=state.agent(record["by"]), at=at, asset=_device(case, record)
    )


@event_kind("loaner_issued", required=("by", "loaner"), optional=("disk_moved",))
def _loaner_issued(state: Replay, record: dict[str, Any], at: datetime) -> None:
    serial = text(record["loaner"], "loaner")
    loaner = Loaner.objects.filter(serial=serial).first()
    if loaner is None:
        raise LineError(_('unknown loaner "%(serial)s"') % {"serial": serial})
    field_work.issue_loaner(
        state.case(record["case"]),
        loaner=loaner,
        actor=state.agent(record["by"]),
        at=at,
        disk_moved=_boolean(record, "disk_moved"),
    )


@event_kind("repair_returned", required=("by",), optional=("asset",))
def _repair_returned(state: Replay, record: dict[str, Any], at: datetime) -> None:
    case = state.case(record["case"])
    repairs = case.repairs.filter(returned_at__isnull=True).order_by("taken_at", "pk")
    asset = _device(case, record)
    repair = (repairs.filter(asset=asset) if asset is not None else repairs).first()
    if repair is None:
        raise LineError(
            _("case %(case)s has no device in repair (repair_taken first)")
            % {"case": case.reference}
        )
    field_work.return_repair(repair, actor=state.agent(record["by"]), at=at)


@event_kind("loaner_returned", required=("by", "loaner"))
def _loaner_returned(state: Replay, record: dict[str, Any], at: datetime) -> None:
    case = state.case(record["case"])
    serial = text(record["loaner"], "loaner")
    issue = case.loaner_issues.filter(loaner__serial=serial, returned_at__isnull=True).first()
    if issue is None:
        raise LineError(
            _('loaner "%(serial)s" is not out on case %(case)s')
            % {"serial": serial, "case": case.reference}
        )
    field_work.return_loaner(issue, actor=state.agent(record["by"]), at=at)


# ------------------------------------------------------------------ remote help


@event_kind(
    "remote_consent", required=("by",), optional=("asked_by", "ip", "browser"), moves_clocks=False
)
def _remote_consent(state: Replay, record: dict[str, Any], at: datetime) -> None:
    """A customer's consent, asked and given at ``at`` (the request told nobody: it is past)."""
    email = text(record["by"], "by")
    contact = find_contact(email)
    if contact is None:
        raise LineError(_('unknown contact "%(email)s"') % {"email": email})
    case = state.case(record["case"])
    try:
        request, _token = remote.ask_consent(
            case, agent=state.optional_agent(record, "asked_by"), at=at, notify=False
        )
        remote.give_consent(
            request,
            contact=contact,
            ip=optional_text(record, "ip") or None,
            user_agent=optional_text(record, "browser"),
            at=at,
        )
    except RemoteError as exc:
        raise LineError(exc.message) from None


@event_kind(
    "remote_session",
    required=("by", "tool", "session", "start"),
    optional=("end", "notes", "password_typed_by_user"),
    at_from="start",
    moves_clocks=False,
)
def _remote_session(state: Replay, record: dict[str, Any], at: datetime) -> None:
    """A session under the case's fresh consent (a remote_consent line before it). The
    password step counts as confirmed unless the line says it was not."""
    agent = state.agent(record["by"])
    start = _instant_of(record, "start")
    end = _instant_of(record, "end") if record.get("end") is not None else None
    if end is not None and end > state.now:
        raise LineError(_("end: %(v)s is in the future") % {"v": record["end"]})
    confirmed = "password_typed_by_user" not in record or _boolean(record, "password_typed_by_user")
    try:
        session = remote.start_session(
            state.case(record["case"]),
            agent=agent,
            tool=text(record["tool"], "tool"),
            session_id=text(record["session"], "session"),
            password_typed_by_user=confirmed,
            at=start,
        )
        if end is not None:
            remote.end_session(session, agent=agent, notes=optional_text(record, "notes"), at=end)
    except RemoteError as exc:
        raise LineError(exc.message) from None
