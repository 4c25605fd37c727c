"""The only write path for billing: time (typed entries, the case page's timer, the API and the
import), packs of hours, and the credits missed guarantees earn.

Each time function owns its transaction and locks the agent's row first, so two requests for one
agent (a double click, the API beside the browser) serialise and the no-overlap rule holds.
Entries are kept to the whole minute: seconds are dropped from both ends (truncating both ends
keeps non-overlapping entries non-overlapping).
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization, User
from supportdesk.billing.choices import EntrySource, PackKind
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.models import (
    CLOCK_SKEW,
    WORKING_DAY,
    BreachCredit,
    ClosedMonth,
    HourPack,
    TimeEntry,
)
from supportdesk.billing.periods import next_month
from supportdesk.billing.statement import Months, hm
from supportdesk.plans.services import Change, upsert
from supportdesk.tickets import events
from supportdesk.tickets.choices import EventKind
from supportdesk.tickets.models import Case, Event


def to_minute(instant: datetime, field: str = "start") -> datetime:
    """An aware instant with seconds dropped; a naive one would be a guess, so it is refused."""
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise BillingError(
            BillingErrorCode.INVALID,
            _("%(field)s must be a date and time with a time zone.") % {"field": field},
            field,
        )
    return instant.replace(second=0, microsecond=0)


def _require_agent(user: User | None) -> None:
    if user is None or not getattr(user, "is_agent", False):
        raise BillingError(BillingErrorCode.NOT_AN_AGENT, _("Only agents record time."), "agent")


def _lock(agent: User) -> None:
    """Serialise this agent's time writes (the overlap check reads, then writes)."""
    User.objects.select_for_update().filter(pk=agent.pk).first()


def _when(instant: datetime) -> str:
    return formats.date_format(timezone.localtime(instant), "SHORT_DATETIME_FORMAT")


def _check_overlap(agent: User, start: datetime, end: datetime | None, exclude=None) -> None:
    """Refuse ``[start, end)`` (``end`` None: open-ended) if it meets another entry of the agent."""
    clash = TimeEntry.objects.filter(agent=agent).filter(Q(end__isnull=True) | Q(end__gt=start))
    if end is not None:
        clash = clash.filter(start__lt=end)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    other = clash.select_related("case").order_by("start").first()
    if other is None:
        return
    if other.end is None:
        message = _(
            "Your timer on %(case)s has been running since %(start)s; stop it before recording "
            "time after that."
        ) % {"case": other.case.label, "start": _when(other.start)}
    else:
        message = _(
            "This overlaps your entry on %(case)s from %(start)s to %(end)s; an agent's entries "
            "may not overlap."
        ) % {"case": other.case.label, "start": _when(other.start), "end": _when(other.end)}
    raise BillingError(BillingErrorCode.OVERLAP, message, "start")


def _hm(span: timedelta) -> str:
    return hm(int(span.total_seconds() // 60))


def _check_span(
    case: Case, start: datetime, end: datetime | None, at: datetime, *, confirm_long: bool
) -> None:
    """Work lies within the case's life: not before the case was received, not ending after
    ``at`` (give or take a clock running a few minutes ahead); and work longer than a working
    day, more often a forgotten timer or a mistyped date than a real day, is only recorded
    when the agent confirms it."""
    received = to_minute(case.received_at, "received")
    if start < received:
        raise BillingError(
            BillingErrorCode.BEFORE_RECEIPT,
            _("The work starts (%(start)s) before %(case)s was received (%(received)s).")
            % {"start": _when(start), "case": case.label, "received": _when(received)},
            "start",
        )
    if end is None:
        return
    if end > at + CLOCK_SKEW:
        raise BillingError(
            BillingErrorCode.IN_FUTURE,
            _("The work ends (%(end)s) in the future.") % {"end": _when(end)},
            "end",
        )
    if end - start > WORKING_DAY and not confirm_long:
        raise BillingError(
            BillingErrorCode.LONG_ENTRY,
            _(
                "This is %(length)s of work, longer than a working day (%(day)s): check the "
                "times, and confirm that it is right to record it."
            )
            % {"length": _hm(end - start), "day": _hm(WORKING_DAY)},
            "end",
        )


def _require_open_months(organization_id: int | None, *spans: tuple[datetime, datetime]) -> None:
    """Refuse a change to time in any ``[start, end)`` of ``spans`` touching a closed month."""
    if organization_id is None:
        return
    closed = set(
        ClosedMonth.objects.filter(organization_id=organization_id).values_list("month", flat=True)
    )
    if not closed:
        return
    months = Months(Organization.objects.get(pk=organization_id))
    touched = set()
    for start, end in spans:
        last = end - timedelta(microseconds=1) if end > start else start
        touched |= {months.month_at(start), months.month_at(last)}
    for month in sorted(touched):
        if month in closed:
            raise BillingError(
                BillingErrorCode.MONTH_CLOSED,
                _("%(month)s is closed: its statement was sent, so its time stays as it is.")
                % {"month": f"{month:%Y-%m}"},
                "start",
            )


@transaction.atomic
def record_work(
    case: Case,
    agent: User,
    start: datetime,
    end: datetime,
    billable: bool = True,
    note: str = "",
    *,
    source: str = EntrySource.TYPED,
    at: datetime | None = None,
    confirm_long: bool = False,
) -> TimeEntry:
    """Record a finished stretch of work; refused if it ends before it starts, lies outside
    the case's life, overlaps, or is longer than a working day without ``confirm_long``."""
    at = at or timezone.now()
    _require_agent(agent)
    start, end = _finished_span(start, end)
    if source not in EntrySource.values:
        raise BillingError(BillingErrorCode.INVALID, _("Unknown source."), "source")
    _check_span(case, start, end, at, confirm_long=confirm_long)
    _lock(agent)
    _require_open_months(case.organization_id, (start, end))
    _check_overlap(agent, start, end)
    entry = TimeEntry.objects.create(
        case=case,
        organization_id=case.organization_id,
        agent=agent,
        start=start,
        end=end,
        billable=bool(billable),
        note=note.strip(),
        source=source,
        created_at=at,
    )
    _log_entry(entry, EventKind.WORK, agent, at)
    return entry


def _finished_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = to_minute(start, "start"), to_minute(end, "end")
    if end < start:
        raise BillingError(
            BillingErrorCode.END_BEFORE_START,
            _("The entry ends (%(end)s) before it starts (%(start)s).")
            % {"end": _when(end), "start": _when(start)},
            "end",
        )
    return start, end


def _span(entry: TimeEntry) -> dict:
    return {
        "agent": entry.agent.email,
        "start": entry.start.isoformat(),
        "end": entry.end.isoformat() if entry.end else None,
        "billable": entry.billable,
    }


def _log_entry(entry: TimeEntry, kind: str, actor: User, at: datetime) -> None:
    """Time recorded or removed is part of the case's history, like any other change."""
    span = _span(entry)
    before, after = (span, None) if kind == EventKind.WORK_REMOVED else (None, span)
    events.work(entry.case, kind, at, actor=actor, before=before, after=after).save()


def running_timer(agent: User) -> TimeEntry | None:
    return TimeEntry.objects.running().filter(agent=agent).select_related("case").first()


@transaction.atomic
def start_timer(
    case: Case, agent: User, billable: bool = True, note: str = "", *, at: datetime | None = None
) -> TimeEntry:
    """Start the agent's timer on ``case``: an open entry, one per agent at a time."""
    at = to_minute(at or timezone.now(), "at")
    _require_agent(agent)
    _check_span(case, at, None, at, confirm_long=False)
    _lock(agent)
    running = running_timer(agent)
    if running is not None:
        raise BillingError(
            BillingErrorCode.TIMER_RUNNING,
            _("Your timer is already running on %(case)s since %(start)s.")
            % {"case": running.case.label, "start": _when(running.start)},
        )
    _check_overlap(agent, at, None)
    return TimeEntry.objects.create(
        case=case,
        organization_id=case.organization_id,
        agent=agent,
        start=at,
        end=None,
        billable=bool(billable),
        note=note.strip(),
        source=EntrySource.TIMER,
        created_at=at,
    )


@transaction.atomic
def stop_timer(
    agent: User,
    *,
    at: datetime | None = None,
    note: str | None = None,
    confirm_long: bool = False,
) -> TimeEntry:
    """Stop the agent's running timer; the entry is then billed like any other. A timer left
    running past a working day is only stopped with ``confirm_long`` (or discarded)."""
    at = to_minute(at or timezone.now(), "at")
    _require_agent(agent)
    _lock(agent)
    entry = running_timer(agent)
    if entry is None:
        raise BillingError(BillingErrorCode.NO_TIMER, _("No timer is running."))
    if at < entry.start:
        raise BillingError(
            BillingErrorCode.END_BEFORE_START,
            _("The timer cannot stop (%(end)s) before it started (%(start)s).")
            % {"end": _when(at), "start": _when(entry.start)},
            "end",
        )
    _check_span(entry.case, entry.start, at, at, confirm_long=confirm_long)
    _require_open_months(entry.organization_id, (entry.start, at))
    _check_overlap(agent, entry.start, at, exclude=entry)
    entry.end = at
    fields = ["end"]
    if note is not None:
        entry.note = note.strip()
        fields.append("note")
    entry.save(update_fields=fields)
    _log_entry(entry, EventKind.WORK, agent, at)
    return entry


@transaction.atomic
def discard_timer(agent: User) -> None:
    """Throw away a timer started by mistake (nothing is billed for it)."""
    _require_agent(agent)
    _lock(agent)
    entry = running_timer(agent)
    if entry is None:
        raise BillingError(BillingErrorCode.NO_TIMER, _("No timer is running."))
    entry.delete()


@transaction.atomic
def change_entry(
    entry: TimeEntry,
    *,
    actor: User,
    start: datetime | None = None,
    end: datetime | None = None,
    billable: bool | None = None,
    note: str | None = None,
    at: datetime | None = None,
    confirm_long: bool = False,
) -> TimeEntry:
    """Correct a finished entry (a mistyped end, a forgotten "not billable") under the rules that
    recording it follows; the case's history keeps what it was and what it became. What is
    left out (None) keeps its value."""
    at = at or timezone.now()
    _require_agent(actor)
    if entry.end is None:
        raise BillingError(
            BillingErrorCode.TIMER_RUNNING, _("A running timer is stopped, not edited."), "end"
        )
    start, end = _finished_span(
        entry.start if start is None else start, entry.end if end is None else end
    )
    billable = entry.billable if billable is None else billable
    note = entry.note if note is None else note
    # An entry confirmed long before needs no second confirmation to change its note.
    unchanged = (start, end) == (entry.start, entry.end)
    _check_span(entry.case, start, end, at, confirm_long=confirm_long or unchanged)
    _lock(entry.agent)
    _require_open_months(entry.organization_id, (entry.start, entry.end), (start, end))
    _check_overlap(entry.agent, start, end, exclude=entry)
    before = _span(entry)
    entry.start, entry.end, entry.billable, entry.note = start, end, bool(billable), note.strip()
    entry.save(update_fields=["start", "end", "billable", "note"])
    change = events.work(
        entry.case, EventKind.WORK_CHANGED, at, actor=actor, before=before, after=_span(entry)
    )
    change.save()
    return entry


@transaction.atomic
def delete_entry(entry: TimeEntry, *, actor: User) -> None:
    """Remove a mistaken entry; every statement recomputes from what is left."""
    _require_agent(actor)
    if entry.end is not None:
        _require_open_months(entry.organization_id, (entry.start, entry.end))
    _log_entry(entry, EventKind.WORK_REMOVED, actor, timezone.now())
    entry.delete()


@transaction.atomic
def save_pack(
    organization: Organization,
    *,
    kind: str,
    hours: Decimal,
    purchased: date | None = None,
    start_month: date | None = None,
    end_month: date | None = None,
) -> tuple[HourPack, Change]:
    """Create or update a pack of hours, as the world file names it.

    A single pack is known by its purchase date, a monthly pack by its first month: a pack has
    no name of its own, and a changed number of hours must update the pack, not add another.
    """
    if kind == PackKind.SINGLE:
        if purchased is None:
            raise ValueError("a single pack needs its purchase date")
        key = {"organization": organization, "kind": kind, "purchased": purchased}
        values: dict[str, Any] = {"hours": hours}
    elif kind == PackKind.MONTHLY:
        if start_month is None:
            raise ValueError("a monthly pack needs its first month")
        key = {"organization": organization, "kind": kind, "start_month": start_month}
        values = {"hours": hours, "end_month": end_month}
    else:
        raise ValueError(f"unknown pack kind {kind!r}")
    return upsert(HourPack, key, values)


def add_pack(
    organization: Organization,
    *,
    kind: str,
    hours: Decimal,
    purchased: date | None = None,
    start_month: date | None = None,
    end_month: date | None = None,
) -> HourPack:
    """A pack bought by the organization, checked; same natural key as the world file's packs.

    A single pack is known by its purchase date and a monthly pack by its first month, so
    sending the same pack again updates its hours instead of selling it twice.
    """
    try:
        hours = Decimal(hours)
    except (ArithmeticError, TypeError, ValueError):
        hours = Decimal(-1)
    if not hours.is_finite() or hours <= 0 or hours != hours.quantize(Decimal("0.01")):
        raise BillingError(
            BillingErrorCode.INVALID,
            _("Hours must be more than zero, with at most two decimals."),
            "hours",
        )
    if kind == PackKind.SINGLE:
        if purchased is None or start_month is not None or end_month is not None:
            raise BillingError(
                BillingErrorCode.INVALID,
                _("A single pack has a purchase date, not months."),
                "purchased",
            )
    elif kind == PackKind.MONTHLY:
        if start_month is None or purchased is not None:
            raise BillingError(
                BillingErrorCode.INVALID,
                _("A monthly pack has a first month (and optionally a last), not a purchase date."),
                "start_month",
            )
        start_month = start_month.replace(day=1)
        end_month = end_month.replace(day=1) if end_month is not None else None
        if end_month is not None and end_month < start_month:
            raise BillingError(
                BillingErrorCode.INVALID, _("The pack ends before it starts."), "end_month"
            )
    else:
        raise BillingError(BillingErrorCode.INVALID, _("Unknown kind of pack."), "kind")
    pack, _change = save_pack(
        organization,
        kind=kind,
        hours=hours,
        purchased=purchased,
        start_month=start_month,
        end_month=end_month,
    )
    return pack


@transaction.atomic
def close_month(
    organization: Organization, month: date, *, actor: User, at: datetime | None = None
) -> ClosedMonth:
    """Fix a month's time once its statement goes out: entries in it can no longer change.

    Only a month that is over (in the organization's zone) and has no timer still running from
    inside it can be closed; a later correction then needs the month reopened first.
    """
    at = at or timezone.now()
    _require_agent(actor)
    months = Months(organization)
    month = month.replace(day=1)
    if at < months.start(next_month(month)):
        raise BillingError(
            BillingErrorCode.MONTH_NOT_OVER,
            _("%(month)s is not over yet.") % {"month": f"{month:%Y-%m}"},
            "month",
        )
    if ClosedMonth.objects.filter(organization=organization, month=month).exists():
        raise BillingError(
            BillingErrorCode.MONTH_CLOSED,
            _("%(month)s is already closed.") % {"month": f"{month:%Y-%m}"},
            "month",
        )
    running = (
        TimeEntry.objects.running()
        .filter(organization=organization, start__lt=months.start(next_month(month)))
        .select_related("case", "agent")
        .first()
    )
    if running is not None:
        raise BillingError(
            BillingErrorCode.TIMER_RUNNING,
            _("%(agent)s's timer on %(case)s is still running; stop it first.")
            % {"agent": running.agent, "case": running.case.label},
            "month",
        )
    return ClosedMonth.objects.create(
        organization=organization, month=month, closed_at=at, closed_by=actor
    )


@transaction.atomic
def reopen_month(organization: Organization, month: date, *, actor: User) -> None:
    """Undo a close, to correct time that turned out wrong after the statement went out."""
    _require_agent(actor)
    deleted, _rows = ClosedMonth.objects.filter(
        organization=organization, month=month.replace(day=1)
    ).delete()
    if not deleted:
        raise BillingError(
            BillingErrorCode.INVALID,
            _("%(month)s is not closed.") % {"month": f"{month:%Y-%m}"},
            "month",
        )


def grant_breach_credits(
    cases: Sequence[Case], first_breach: Mapping[int, datetime]
) -> list[Event]:
    """Grant the plan's free hours for a missed guarantee: once per case, at its first breach,
    to a covered case of an organization whose plan promises credit.

    The breach sweep calls it (through the tickets breach hook) inside the breach's own
    transaction, with ``first_breach`` by case id, and writes the events returned with its own.
    Credits are written in bulk: the sweep breaches thousands of cases at a time.
    """
    credited = set(
        BreachCredit.objects.filter(case_id__in=[case.pk for case in cases]).values_list(
            "case_id", flat=True
        )
    )
    credits = [
        BreachCredit(
            case=case,
            organization_id=case.organization_id,
            hours=case.plan.breach_credit_hours,
            granted_at=first_breach[case.pk],
        )
        for case in cases
        if case.pk not in credited
        and case.covered
        and case.organization_id
        and case.plan is not None
        and case.plan.breach_credit_hours > 0
    ]
    BreachCredit.objects.bulk_create(credits, ignore_conflicts=True)
    return [
        events.credited(credit.case, credit.granted_at, hours=credit.hours) for credit in credits
    ]
