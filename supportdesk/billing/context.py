"""Template-ready context for pages other apps own: the case page and the organization page.

The UI includes ``billing/_case_time.html`` with ``case_time`` and ``billing/_balances.html``
with ``balances``; both are built here so the desk's views stay one line each::

    context["case_time"] = billing.case_time(case, request.user, request.session)
    context["balances"] = billing.balances(organization)
"""

from collections.abc import MutableMapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from supportdesk.accounts.models import Organization, User
from supportdesk.billing.errors import BillingError
from supportdesk.billing.forms import ConfirmLongForm, TimeEntryForm, TimerForm
from supportdesk.billing.models import TimeEntry
from supportdesk.billing.services import running_timer
from supportdesk.billing.statement import Months, Statement, build_statement
from supportdesk.tickets.models import Case


def user_zone() -> str:
    """The zone the viewer reads this page's times in, which their forms' times are typed in."""
    return timezone.get_current_timezone_name()


def current_month(organization: Organization, now: datetime | None = None) -> date:
    """This month as the organization's plan counts it (its calendar's zone)."""
    return Months(organization).month_at(now or timezone.now())


#: Session key of work refused for its length, until the case page asks to confirm it:
#: ``{"case": pk, "form": ADD_FORM | STOP_FORM | edit_prefix(entry), "data": {...}}``.
PENDING_LONG = "billing:long_entry"
ADD_FORM = "add"
STOP_FORM = "stop"


def _pending(session: MutableMapping[str, Any] | None, case: Case) -> tuple[str, dict]:
    """Which form of this case's page asks to confirm long work, and what it was filled with;
    shown once, as a message is."""
    pending = session.pop(PENDING_LONG, None) if session is not None else None
    if not isinstance(pending, dict) or pending.get("case") != case.pk:
        return "", {}
    return str(pending.get("form", "")), dict(pending.get("data") or {})


def case_time(
    case: Case, user: User, session: MutableMapping[str, Any] | None = None
) -> dict[str, Any]:
    """Entries of the case, the viewer's running timer and the forms to add time; with the
    viewer's ``session``, the form whose work was refused for its length asks to confirm it."""
    entries = list(case.time_entries.select_related("agent").order_by("start", "id"))
    zone = user_zone()
    confirm, data = _pending(session, case)
    rows, total, billable = [], 0, 0
    for entry in entries:
        minutes = int((entry.end - entry.start).total_seconds() // 60) if entry.end else None
        edit = _edit_form(entry, user, zone)
        if edit is not None and confirm == edit.prefix:
            edit = TimeEntryForm(data, prefix=edit.prefix, zone=zone, confirming=True)
        rows.append({"entry": entry, "minutes": minutes, "edit": edit})
        if minutes is not None:
            total += minutes
            billable += minutes if entry.billable else 0
    timer = running_timer(user) if getattr(user, "is_agent", False) else None
    return {
        "case": case,
        "rows": rows,
        "total_minutes": total,
        "billable_minutes": billable,
        "timer": timer,
        "timer_here": timer is not None and timer.case_id == case.pk,
        "form": TimeEntryForm(data, zone=zone, confirming=True)
        if confirm == ADD_FORM
        else TimeEntryForm(zone=zone),
        # Its own ids: the form to add time beside it has fields of the same names.
        "timer_form": TimerForm(auto_id="id_timer_%s"),
        "stop_form": ConfirmLongForm(confirming=confirm == STOP_FORM),
        "confirm": confirm,
        "zone": zone,
    }


def edit_prefix(entry: TimeEntry) -> str:
    """Each entry's edit form on the case page has its own field names and ids."""
    return f"entry-{entry.pk}"


def _edit_form(entry: TimeEntry, user: User, zone: str) -> TimeEntryForm | None:
    """The form to correct one's own finished entry, filled in the agent's zone."""
    if entry.end is None or entry.agent_id != user.pk:
        return None
    local = ZoneInfo(zone)
    initial = {
        "start": entry.start.astimezone(local),
        "end": entry.end.astimezone(local),
        "billable": entry.billable,
        "note": entry.note,
    }
    return TimeEntryForm(prefix=edit_prefix(entry), initial=initial, zone=zone)


def balances(organization: Organization | None, month: date | None = None) -> dict[str, Any]:
    """The organization's packs and credits as of the end of ``month`` (default: this month).

    For the running month that is "now, given the work recorded so far".
    """
    if organization is None:
        return {"organization": None, "statement": None, "error": None}
    statement: Statement | None = None
    error = None
    try:
        month = month or current_month(organization)
        statement = build_statement(organization, month)
    except BillingError as exc:
        error = exc.message
    return {"organization": organization, "statement": statement, "error": error, "month": month}
