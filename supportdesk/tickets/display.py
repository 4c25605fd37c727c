"""How cases read to people: time left in working time, due instants in their zone, the
history in words. Pure presentation: no writes, no queries of its own."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import TextChoices
from django.utils import dateformat, formats
from django.utils import timezone as djtz
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from supportdesk.accounts.middleware import shown_zone_is_own
from supportdesk.accounts.models import Team, User
from supportdesk.plans.choices import Metric
from supportdesk.plans.matrix import describe_amount
from supportdesk.plans.models import kernel_for
from supportdesk.tickets.choices import (
    Channel,
    EventKind,
    Level,
    MessageKind,
    Priority,
    Status,
    coverage_text,
    entitlement_text,
)
from supportdesk.tickets.events import FIELD_KINDS
from supportdesk.tickets.models import Event, SlaClock

#: A clock with less working time than this left is shown as due soon.
SOON = timedelta(hours=1)


def span(delta: timedelta) -> str:
    """A duration the way people say it: "2 d 3 h", "1 h 20 m", "35 m"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s m") % {"h": hours, "m": minutes}
    return _("%(m)s m") % {"m": minutes}


def time_left(clock: SlaClock, now: datetime) -> tuple[str, str]:
    """(text, urgency), e.g. ("1 h 20 m left", "soon") or ("breached 35 m ago", "breached").

    Time left is working time on the clock's calendar (what the promise counts); time past
    due is plain time, since the customer has been waiting all of it.
    """
    if clock.met_at is not None:
        if clock.due_at is None:  # met before clocks kept their due
            return (_("met late"), "late") if clock.breached_at else (_("met"), "met")
        if clock.met_at > clock.due_at:
            return _("met %(span)s late") % {"span": span(clock.met_at - clock.due_at)}, "late"
        early = kernel_for(clock.calendar).between(clock.met_at, clock.due_at)
        return _("met %(span)s before its target") % {"span": span(early)}, "met"
    if clock.due_at is None:
        return _("paused"), "paused"
    if clock.due_at <= now:
        ago = span(now - clock.due_at)
        if clock.guaranteed:
            return _("breached %(span)s ago") % {"span": ago}, "breached"
        return _("overdue by %(span)s") % {"span": ago}, "late"
    left = kernel_for(clock.calendar).between(now, clock.due_at)
    text = _("%(left)s · due %(when)s") % {
        "left": working_left(left, around_the_clock=clock.calendar_id is None),
        "when": due_time(clock.due_at, now),
    }
    return text, "soon" if left <= SOON else "ok"


def working_left(left: timedelta, *, around_the_clock: bool) -> str:
    """Time left in hours, never days: "1 d" would read as a calendar day where it means 24
    working hours. "8 working hours left", "1 h 20 m of working time left", "5 h 10 m left"."""
    minutes = max(0, int(left.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    if around_the_clock:
        return _("%(span)s left") % {"span": hours_span(minutes)}
    if hours and not rest:
        return ngettext("%(n)s working hour left", "%(n)s working hours left", hours) % {"n": hours}
    return _("%(span)s of working time left") % {"span": hours_span(minutes)}


def hours_span(minutes: int) -> str:
    """ "26 h 20 m", "3 h", "35 m": hours and minutes without days."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)s h %(m)s m") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s m") % {"m": rest}


def due_time(value: datetime, now: datetime) -> str:
    """A due instant in short: "Tue 12:00" within the week, "12 Jan 12:00" further out."""
    local, today = djtz.localtime(value), djtz.localtime(now)
    if 0 <= (local.date() - today.date()).days < 7:
        fmt = pgettext("short due date within a week", "D H:i")
    else:
        fmt = pgettext("short due date further out", "j M H:i")
    return with_zone(running_text(dateformat.format(local, fmt)), local)


def running_text(text: str) -> str:
    """Day and month names as the language writes them inside a sentence: Polish and
    Portuguese write "wtorek" and "terça-feira" where Django's catalogues capitalise them."""
    style = pgettext("how day and month names are written inside a sentence", "as is")
    return text.lower() if style == "lowercase" else text


def zone_label(local: datetime) -> str:
    """Which zone a local time is in, for a viewer whose own zone it is not: "CET" where the
    zone has a common abbreviation, else its name, "(America/Sao_Paulo)"; "" for their own."""
    if shown_zone_is_own():
        return ""
    abbreviation = local.tzname() or ""
    return abbreviation if abbreviation.isalpha() else f"({local.tzinfo})"


def with_zone(text: str, local: datetime) -> str:
    label = zone_label(local)
    return f"{text} {label}" if label else text


def local_format(value: datetime, fmt: str) -> str:
    """An instant in the active zone, in a date format (a setting name or a pattern), with
    its zone when that is not the viewer's own."""
    local = djtz.localtime(value)
    text = formats.date_format(local, fmt) if fmt.isupper() else dateformat.format(local, fmt)
    return with_zone(running_text(text), local)


def promise_time(value: datetime, now: datetime | None = None) -> str:
    """A due instant as a promise reads, in the active zone: "Tuesday 18:00" within the week,
    with the date further out; the formats are translated with the rest of the page."""
    now = now or djtz.now()
    local, today = djtz.localtime(value), djtz.localtime(now)
    days = (local.date() - today.date()).days
    if days == 0:
        fmt = pgettext("promise date format for today", "\\t\\o\\d\\a\\y H:i")
    elif 0 < days < 7:
        fmt = pgettext("promise date format within a week", "l H:i")
    else:
        fmt = pgettext("promise date format further out", "l, j F Y, H:i")
    return with_zone(running_text(dateformat.format(local, fmt)), local)


def full_time(value: datetime) -> str:
    return local_format(value, "DATETIME_FORMAT")


def rule_text(clock: SlaClock) -> str:
    """The rule that set the clock, from the clock's own terms (the target may have changed
    since), with the priorities and channels of the plan's row when it still exists."""
    parts = [
        str(Metric(clock.metric).label),
        describe_amount(clock.within, clock.business_days),
        _("around the clock") if clock.calendar_id is None else _("business hours"),
    ]
    target = clock.target if clock.target_id else None
    if target is not None and target.priorities:
        parts.append("/".join(target.priorities))
    if target is not None and target.channels:
        parts.append("/".join(str(_label(Channel, c)) for c in target.channels))
    if not clock.guaranteed:
        parts.append(_("no guarantee"))
    return ", ".join(parts)


@dataclass(frozen=True)
class ClockView:
    """A clock as the agent's case page shows it."""

    clock: SlaClock
    text: str
    urgency: str

    @property
    def label(self) -> str:
        return str(Metric(self.clock.metric).label)

    @property
    def rule(self) -> str:
        return rule_text(self.clock)


def clock_views(clocks: list[SlaClock], now: datetime) -> list[ClockView]:
    """In the order the promises come in a case's life: answer, restore, visit, repair."""
    order = {metric: index for index, metric in enumerate(Metric.values)}
    return [ClockView(c, *time_left(c, now)) for c in sorted(clocks, key=lambda c: order[c.metric])]


def _sentence(template: str, instant: datetime, text: str) -> str:
    """A translated sentence with its instant as a <time> element (escaped, then marked safe)."""
    when = format_html('<time datetime="{}">{}</time>', instant.isoformat(), text)
    return mark_safe(conditional_escape(template) % {"when": when})


def _field_promise(metric: str) -> tuple[str, str, str, str, str] | None:
    """An on-site visit's, a repair's or a request milestone's sentences: met on time, met
    late, late, due, indicative."""
    if metric == Metric.ON_SITE:
        return (
            _("On-site visit: the engineer arrived on time (%(when)s)."),
            _("On-site visit: the engineer arrived late (%(when)s)."),
            _("The engineer's visit is late: it was due %(when)s. We are sorry."),
            _("An engineer will be on site by %(when)s."),
            _("An engineer is usually on site by %(when)s (no guarantee)."),
        )
    if metric == Metric.REPAIR:
        return (
            _("Repair: your device came back on time (%(when)s)."),
            _("Repair: your device came back late (%(when)s)."),
            _("The repair is late: your device was due back %(when)s. We are sorry."),
            _("Your device will be back from repair by %(when)s."),
            _("A repaired device usually comes back by %(when)s (no guarantee)."),
        )
    if metric == Metric.CONFIRMATION:
        return (
            _("Confirmation: your request was confirmed on time (%(when)s)."),
            _("Confirmation: your request was confirmed late (%(when)s)."),
            _("The confirmation of your request is late: it was due %(when)s. We are sorry."),
            _("We will confirm your request by %(when)s."),
            _("We usually confirm a request by %(when)s (no guarantee)."),
        )
    if metric == Metric.COMPLETION:
        return (
            _("Completion: your request was done on time (%(when)s)."),
            _("Completion: your request was done late (%(when)s)."),
            _("Your request is late: it was due %(when)s. We are sorry."),
            _("Your request will be done by %(when)s."),
            _("A request like yours is usually done by %(when)s (no guarantee)."),
        )
    return None


def customer_promises(clocks: list[SlaClock], now: datetime) -> list[tuple[str, str]]:
    """What the customer is told about each clock: (sentence as HTML, state).

    "We will answer by Tuesday 18:00." while the first response is due; "Answered on time"
    once met; for restoration, when the service should be back; for a visit or a repair,
    when the engineer or the device comes.
    """
    promises = []
    order = {metric: index for index, metric in enumerate(Metric.values)}
    for clock in sorted(clocks, key=lambda c: order[c.metric]):
        first = clock.metric == Metric.FIRST_RESPONSE
        field = _field_promise(clock.metric)
        if field is not None:
            promises.append(_field_sentence(clock, field, now))
        elif clock.met_at is not None:
            on_time = clock.breached_at is None
            when = full_time(clock.met_at)
            if first:
                text = (
                    _("First response: answered on time (%(when)s).")
                    if on_time
                    else _("First response: answered late (%(when)s).")
                )
            else:
                text = (
                    _("Restoration: done on time (%(when)s).")
                    if on_time
                    else _("Restoration: done late (%(when)s).")
                )
            promises.append((_sentence(text, clock.met_at, when), "met" if on_time else "late"))
        elif clock.due_at is None:
            promises.append(
                (
                    _("The clock is paused while we wait for your answer.")
                    if not first
                    else _("The first-response clock is paused."),
                    "paused",
                )
            )
        elif clock.due_at <= now:
            text = (
                _("Our answer is late: it was due %(when)s. We are sorry.")
                if first
                else _("Restoration is late: it was due %(when)s. We are sorry.")
            )
            promises.append(
                (_sentence(text, clock.due_at, promise_time(clock.due_at, now)), "late")
            )
        elif clock.guaranteed:
            text = (
                _("We will answer by %(when)s.")
                if first
                else _("We will restore the service by %(when)s.")
            )
            promises.append((_sentence(text, clock.due_at, promise_time(clock.due_at, now)), "due"))
        else:
            text = (
                _("We usually answer by %(when)s (no guarantee).")
                if first
                else _("We usually restore the service by %(when)s (no guarantee).")
            )
            promises.append(
                (_sentence(text, clock.due_at, promise_time(clock.due_at, now)), "indicative")
            )
    return promises


def _field_sentence(
    clock: SlaClock, texts: tuple[str, str, str, str, str], now: datetime
) -> tuple[str, str]:
    on_time, met_late, late, due, indicative = texts
    if clock.met_at is not None:
        kept = clock.breached_at is None
        text = on_time if kept else met_late
        return _sentence(text, clock.met_at, full_time(clock.met_at)), "met" if kept else "late"
    if clock.due_at is None:
        return _("The clock is paused while we wait for your answer."), "paused"
    when = promise_time(clock.due_at, now)
    if clock.due_at <= now:
        return _sentence(late, clock.due_at, when), "late"
    if clock.guaranteed:
        return _sentence(due, clock.due_at, when), "due"
    return _sentence(indicative, clock.due_at, when), "indicative"


_SHOWS_DUE = (EventKind.CLOCK_STARTED, EventKind.CLOCK_RESUMED, EventKind.CLOCK_RETARGETED)

_CHOICE_LABELS: dict[str, type[TextChoices]] = {
    EventKind.STATUS: Status,
    EventKind.PRIORITY: Priority,
    EventKind.LEVEL: Level,
}


_TIME_KINDS = (EventKind.WORK, EventKind.WORK_CHANGED, EventKind.WORK_REMOVED)


def _work_span(span: dict) -> str:
    """'02/03/2026 17:50–18:10' in the viewer's zone; a running timer has no end yet."""
    start = local_format(datetime.fromisoformat(span["start"]), "SHORT_DATETIME_FORMAT")
    if not span.get("end"):
        return start
    return f"{start}–{local_format(datetime.fromisoformat(span['end']), 'TIME_FORMAT')}"


def _label(choices: type[TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def describe_event(event: Event, names: Mapping[str, str] | None = None) -> str:
    """One line of the case history, in the active language; ``names``: people and teams by
    the email or key an event records (``people_names``), so the line shows who, not how
    they are stored."""
    names = names or {}
    kind = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
    before, after = event.before, event.after
    if event.kind in _CHOICE_LABELS:
        choices = _CHOICE_LABELS[event.kind]
        return f"{kind}: {_label(choices, before)} → {_label(choices, after)}"
    if event.kind in (EventKind.ASSIGNEE, EventKind.TEAM, EventKind.ASSET):
        was, now = (names.get(v, v) if isinstance(v, str) else v for v in (before, after))
        return f"{kind}: {was or '—'} → {now or '—'}"
    if event.kind == EventKind.CALL_ANSWERED and isinstance(after, str):
        return f"{kind}: {names.get(after, after)}"
    if event.kind == EventKind.COVERAGE and isinstance(after, dict):
        return f"{kind}: {coverage_text(after.get('coverage', ''), after.get('param', ''))}"
    if event.kind == EventKind.MESSAGE and isinstance(after, dict):
        return f"{kind}: {_label(MessageKind, after.get('kind'))}"
    if event.kind == EventKind.CREATED and isinstance(after, dict):
        channel = _label(Channel, after.get("channel"))
        return f"{kind}: {channel}, {after.get('priority', '')}"
    if isinstance(after, dict) and "metric" in after:
        text = f"{kind}: {_label(Metric, after['metric'])}"
        due = after.get("due")
        if due and event.kind in _SHOWS_DUE:
            instant = datetime.fromisoformat(due)
            text += ", " + _("due %(when)s") % {
                "when": local_format(instant, "SHORT_DATETIME_FORMAT")
            }
        return text
    if event.kind == EventKind.CREDITED:
        try:
            hours = formats.localize(Decimal(str(after)).normalize())
        except (InvalidOperation, ValueError):
            hours = str(after)
        return _("%(kind)s: %(hours)s h") % {"kind": kind, "hours": hours}
    if event.kind in _TIME_KINDS:
        spans = [_work_span(span) for span in (before, after) if isinstance(span, dict)]
        return f"{kind}: {' → '.join(spans)}" if spans else kind
    if event.kind == EventKind.DIRECT_LEVEL_2 and isinstance(after, dict):
        text = _("%(kind)s: the requester's role includes %(entitlement)s") % {
            "kind": kind,
            "entitlement": entitlement_text(after.get("entitlement", "")),
        }
        team = after.get("team")
        return f"{text}, {names.get(team, team)}" if team else text
    if event.kind == EventKind.NOTIFIED and isinstance(after, list):
        return f"{kind}: {', '.join(after)}"
    if event.kind in FIELD_KINDS and isinstance(after, dict):
        return _field_step(kind, after)
    if event.kind in _REMOTE_KINDS and isinstance(after, dict):
        return _remote_step(event.kind, kind, after)
    return kind


_REMOTE_KINDS = (
    EventKind.REMOTE_ASKED,
    EventKind.REMOTE_CONSENTED,
    EventKind.REMOTE_STARTED,
    EventKind.REMOTE_ENDED,
)


def _remote_step(code: str, kind: str, after: dict) -> str:
    """A remote-help step as it reads: "Remote session started: AnyDesk 123 456 789,
    02/03/2026 17:50", "Consent to remote help given: ana@..., from 192.0.2.7 (Firefox ...)"."""
    if code == EventKind.REMOTE_ASKED:
        expires = local_format(datetime.fromisoformat(after["expires"]), "SHORT_DATETIME_FORMAT")
        text = _("%(kind)s: valid until %(when)s") % {"kind": kind, "when": expires}
        if after.get("to"):
            text += ", " + _("sent to %(whom)s") % {"whom": ", ".join(after["to"])}
        return text
    if code == EventKind.REMOTE_CONSENTED:
        text = f"{kind}: {after.get('contact', '')}"
        if after.get("ip"):
            text += ", " + _("from %(address)s") % {"address": after["ip"]}
        return f"{text} ({after['browser']})" if after.get("browser") else text
    tool = " ".join(str(after[key]) for key in ("tool_name", "session") if after.get(key))
    return f"{kind}: {tool}, {_work_span(after)}"


def _field_step(kind: str, after: dict) -> str:
    """A visit, repair or loaner step in words: "Visit scheduled: marek@…, 20/10/2026
    09:00–11:00, Warszawa, ul. Prosta 1"."""
    parts = [str(after[key]) for key in ("technician", "asset", "loaner") if after.get(key)]
    if after.get("start"):
        parts.append(_work_span(after))
    if after.get("to"):
        parts.append(_("to %(whom)s") % {"whom": after["to"]})
    if after.get("disk_moved"):
        parts.append(_("disk moved"))
    if after.get("address"):
        parts.append(str(after["address"]))
    return f"{kind}: {', '.join(parts)}" if parts else kind


def people_names(events: Iterable[Event]) -> dict[str, str]:
    """The names of the agents (by email) and teams (by key) the events record: two queries
    for the whole history."""
    emails: set[str] = set()
    keys: set[str] = set()
    for event in events:
        values = (event.before, event.after)
        if event.kind in (EventKind.ASSIGNEE, EventKind.CALL_ANSWERED):
            emails.update(v for v in values if isinstance(v, str))
        elif event.kind == EventKind.TEAM:
            keys.update(v for v in values if isinstance(v, str))
        elif event.kind == EventKind.DIRECT_LEVEL_2 and isinstance(event.after, dict):
            keys.add(event.after.get("team") or "")
    names = {
        email: name
        for email, name in User.objects.filter(email__in=emails).values_list("email", "name")
        if name
    }
    names.update(Team.objects.filter(slug__in=keys - {""}).values_list("slug", "name"))
    return names


def history(events) -> list[dict[str, str]]:
    """The case history as lines ready to show: when (in the viewer's zone), what, who.

    Formatted here rather than tag by tag in the template: a long-lived case has hundreds of
    events, and this is most of its page's time otherwise."""
    events = list(events)
    names = people_names(events)
    return [
        {
            "iso": event.at.isoformat(),
            "when": local_format(event.at, "SHORT_DATETIME_FORMAT"),
            "text": describe_event(event, names),
            "actor": str(event.actor) if event.actor_id else "",
        }
        for event in events
    ]
