"""How cases read to people: time left in working time, due instants in their zone, the
history in words. Pure presentation: no writes, no queries of its own."""

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
from django.utils.translation import pgettext

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
    entitlement_text,
)
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
    return _("%(span)s left") % {"span": span(left)}, "soon" if left <= SOON else "ok"


def running_text(text: str) -> str:
    """Day and month names as the language writes them inside a sentence: Polish and
    Portuguese write "wtorek" and "terça-feira" where Django's catalogues capitalise them."""
    style = pgettext("how day and month names are written inside a sentence", "as is")
    return text.lower() if style == "lowercase" else text


def local_format(value: datetime, fmt: str) -> str:
    """An instant in the active zone, in a date format (a setting name or a pattern)."""
    local = djtz.localtime(value)
    text = formats.date_format(local, fmt) if fmt.isupper() else dateformat.format(local, fmt)
    return running_text(text)


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
    return running_text(dateformat.format(local, fmt))


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
    order: dict[str, int] = {Metric.FIRST_RESPONSE: 0, Metric.RESTORATION: 1}
    return [ClockView(c, *time_left(c, now)) for c in sorted(clocks, key=lambda c: order[c.metric])]


def _sentence(template: str, instant: datetime, text: str) -> str:
    """A translated sentence with its instant as a <time> element (escaped, then marked safe)."""
    when = format_html('<time datetime="{}">{}</time>', instant.isoformat(), text)
    return mark_safe(conditional_escape(template) % {"when": when})


def customer_promises(clocks: list[SlaClock], now: datetime) -> list[tuple[str, str]]:
    """What the customer is told about each clock: (sentence as HTML, state).

    "We will answer by Tuesday 18:00." while the first response is due; "Answered on time"
    once met; and for restoration, when the service should be back.
    """
    promises = []
    for clock in sorted(clocks, key=lambda c: c.metric != Metric.FIRST_RESPONSE):
        first = clock.metric == Metric.FIRST_RESPONSE
        if clock.met_at is not None:
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


def describe_event(event: Event) -> str:
    """One line of the case history, in the active language."""
    kind = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
    before, after = event.before, event.after
    if event.kind in _CHOICE_LABELS:
        choices = _CHOICE_LABELS[event.kind]
        return f"{kind}: {_label(choices, before)} → {_label(choices, after)}"
    if event.kind in (EventKind.ASSIGNEE, EventKind.TEAM):
        return f"{kind}: {before or '—'} → {after or '—'}"
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
        return f"{text}, {after['team']}" if after.get("team") else text
    if event.kind == EventKind.NOTIFIED and isinstance(after, list):
        return f"{kind}: {', '.join(after)}"
    return kind


def history(events) -> list[dict[str, str]]:
    """The case history as lines ready to show: when (in the viewer's zone), what, who.

    Formatted here rather than tag by tag in the template: a long-lived case has hundreds of
    events, and this is most of its page's time otherwise."""
    return [
        {
            "iso": event.at.isoformat(),
            "when": local_format(event.at, "SHORT_DATETIME_FORMAT"),
            "text": describe_event(event),
            "actor": str(event.actor) if event.actor_id else "",
        }
        for event in events
    ]
