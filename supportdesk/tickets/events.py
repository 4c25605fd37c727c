"""The case's audit events: one small helper per kind, each building that kind's one shape.

The history display and the API read ``before``/``after`` by kind, so every writer goes
through these helpers (none builds an ``Event`` by hand). The shapes:

- ``created``: after = {subject, channel, priority, covered, coverage}
- ``direct_level_2``: after = {entitlement, team}
- ``message``: after = {kind} (a ``MessageKind``)
- ``status``/``priority``/``level``: before, after = the codes
- ``assignee``/``team``: before, after = the agent's email / the team's key (or None)
- ``call_answered``: after = the answering agent's email
- ``clock_*``: after = ``clock_state`` (and before = the old state for ``clock_retargeted``)
- ``escalated``: before = the old level, after = "L2"
- ``credited``: after = the hours, as a decimal string
- ``notified``: after = the sorted recipients
- ``work``/``work_changed``/``work_removed``: before, after = ``{agent, start, end, billable}``
  spans (or None)
- ``asset``: before, after = the device's serial number (or None)
- ``coverage``: before, after = {covered, coverage, param}: the decision and its reason's code
- ``visit_*``/``repair_*``/``loaner_*``: after = ``{visit|repair|loaner, ...}`` with what the
  field step recorded (technician, window, address, serials, disk moved), codes and ISO instants
- ``remote_asked``: after = {expires, to}: when the request lapses, the addresses told
- ``remote_consented``: after = {contact, ip, browser}: who consented, from where
- ``remote_started``/``remote_ended``: after = {tool, tool_name, session, start, end}: the tool's
  code and product name, the session id, its span (end None while running)
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from supportdesk.accounts.models import Team, User
from supportdesk.tickets.choices import EventKind, Level
from supportdesk.tickets.models import Case, Event, SlaClock

#: The kinds whose before/after are plain codes or keys (``changed``).
CHANGES = (
    EventKind.STATUS,
    EventKind.PRIORITY,
    EventKind.LEVEL,
    EventKind.ASSIGNEE,
    EventKind.TEAM,
)
CLOCK_KINDS = (
    EventKind.CLOCK_STARTED,
    EventKind.CLOCK_PAUSED,
    EventKind.CLOCK_RESUMED,
    EventKind.CLOCK_MET,
    EventKind.CLOCK_BREACHED,
    EventKind.CLOCK_RETARGETED,
)
WORK_KINDS = (EventKind.WORK, EventKind.WORK_CHANGED, EventKind.WORK_REMOVED)
FIELD_KINDS = (
    EventKind.VISIT_NEEDED,
    EventKind.VISIT_SCHEDULED,
    EventKind.VISIT_ARRIVED,
    EventKind.VISIT_DEPARTED,
    EventKind.REPAIR_TAKEN,
    EventKind.REPAIR_RETURNED,
    EventKind.LOANER_ISSUED,
    EventKind.LOANER_RETURNED,
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _event(
    case: Case,
    kind: str,
    at: datetime,
    *,
    actor: User | None = None,
    before: Any = None,
    after: Any = None,
) -> Event:
    return Event(case=case, kind=kind, at=at, actor=actor, before=before, after=after)


def clock_state(clock: SlaClock) -> dict[str, Any]:
    return {
        "metric": clock.metric,
        "rule": clock.rule,
        "due": iso(clock.due_at),
        "met": iso(clock.met_at),
        "breached": iso(clock.breached_at),
        "paused_since": iso(clock.paused_since),
    }


def created(
    case: Case,
    at: datetime,
    *,
    actor: User | None,
    channel: str,
    priority: str,
    covered: bool,
    coverage: str,
) -> Event:
    after = {
        "subject": case.subject,
        "channel": channel,
        "priority": priority,
        "covered": covered,
        "coverage": coverage,
    }
    return _event(case, EventKind.CREATED, at, actor=actor, after=after)


def direct_level_2(case: Case, at: datetime, *, entitlement: str, team: Team | None) -> Event:
    after = {"entitlement": entitlement, "team": team.slug if team is not None else None}
    return _event(case, EventKind.DIRECT_LEVEL_2, at, after=after)


def message(case: Case, at: datetime, *, kind: str, actor: User | None = None) -> Event:
    return _event(case, EventKind.MESSAGE, at, actor=actor, after={"kind": str(kind)})


def label(value: object) -> str | None:
    """What a change records: an agent by email, a team by key, anything else as its code."""
    if value is None:
        return None
    if isinstance(value, User):
        return value.email
    if isinstance(value, Team):
        return value.slug
    return str(value)


def changed(
    case: Case, kind: str, at: datetime, *, actor: User | None, before: object, after: object
) -> Event:
    if kind not in CHANGES:
        raise ValueError(f"{kind} is not a change of a case's field")
    return _event(case, kind, at, actor=actor, before=label(before), after=label(after))


def call_answered(case: Case, at: datetime, *, agent: User) -> Event:
    return _event(case, EventKind.CALL_ANSWERED, at, actor=agent, after=agent.email)


def clock(
    case: Case,
    kind: str,
    at: datetime,
    state: SlaClock,
    *,
    actor: User | None = None,
    before: dict[str, Any] | None = None,
) -> Event:
    if kind not in CLOCK_KINDS:
        raise ValueError(f"{kind} is not a clock event")
    return _event(case, kind, at, actor=actor, before=before, after=clock_state(state))


def escalated(case: Case, at: datetime, *, before: str) -> Event:
    return _event(case, EventKind.ESCALATED, at, before=before, after=Level.L2)


def credited(case: Case, at: datetime, *, hours: Decimal) -> Event:
    return _event(case, EventKind.CREDITED, at, after=str(hours))


def notified(case: Case, at: datetime, *, recipients: Iterable[str]) -> Event:
    return _event(case, EventKind.NOTIFIED, at, after=sorted(recipients))


def work(
    case: Case,
    kind: str,
    at: datetime,
    *,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    if kind not in WORK_KINDS:
        raise ValueError(f"{kind} is not a time entry event")
    return _event(case, kind, at, actor=actor, before=before, after=after)


def field_step(
    case: Case, kind: str, at: datetime, *, actor: User | None, after: dict[str, Any]
) -> Event:
    """A visit, repair or loaner step; ``after`` holds only codes, serials and ISO instants."""
    if kind not in FIELD_KINDS:
        raise ValueError(f"{kind} is not a visit, repair or loaner event")
    return _event(case, kind, at, actor=actor, after=after)


def remote_asked(
    case: Case, at: datetime, *, agent: User | None, expires: datetime, to: Iterable[str]
) -> Event:
    return _event(
        case,
        EventKind.REMOTE_ASKED,
        at,
        actor=agent,
        after={"expires": iso(expires), "to": sorted(to)},
    )


def remote_consented(
    case: Case, at: datetime, *, actor: User | None, contact: str, ip: str | None, browser: str
) -> Event:
    after = {"contact": contact, "ip": ip, "browser": browser}
    return _event(case, EventKind.REMOTE_CONSENTED, at, actor=actor, after=after)


def remote_session(
    case: Case,
    kind: str,
    at: datetime,
    *,
    agent: User | None,
    tool: str,
    tool_name: str,
    session: str,
    start: datetime,
    end: datetime | None,
) -> Event:
    if kind not in (EventKind.REMOTE_STARTED, EventKind.REMOTE_ENDED):
        raise ValueError(f"{kind} is not a remote session event")
    after = {
        "tool": tool,
        "tool_name": tool_name,
        "session": session,
        "start": iso(start),
        "end": iso(end),
    }
    return _event(case, kind, at, actor=agent, after=after)


def asset_changed(
    case: Case, at: datetime, *, actor: User | None, before: str | None, after: str | None
) -> Event:
    """The device the case is about: serial numbers, ``None`` for no device."""
    return _event(case, EventKind.ASSET, at, actor=actor, before=before, after=after)


def coverage_state(case: Case) -> dict[str, Any]:
    return {
        "covered": case.covered,
        "coverage": case.coverage_code,
        "param": case.coverage_param,
    }


def coverage_changed(
    case: Case, at: datetime, *, actor: User | None, before: dict[str, Any]
) -> Event:
    """The case's coverage decided again (its device changed): ``before`` as
    ``coverage_state`` gave it, the case's own as it stands now."""
    after = coverage_state(case)
    return _event(case, EventKind.COVERAGE, at, actor=actor, before=before, after=after)
