"""Small helpers that write the case's audit events, beside the services that call them."""

from datetime import datetime
from typing import Any

from supportdesk.accounts.models import User
from supportdesk.tickets.models import Case, Event, SlaClock


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def event(
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
