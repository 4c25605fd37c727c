"""What a plan includes, as people read it: the entitlement matrix (Zoom-style: what each role
may use) and the target table. Read-only helpers shared by the agent and customer pages."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportdesk.accounts.choices import ContactRole
from supportdesk.plans.choices import Entitlement, Metric, channel_label
from supportdesk.plans.entitlements import may
from supportdesk.plans.models import BusinessCalendar, Contract, Plan

ROLES = [ContactRole.MEMBER, ContactRole.LICENSED_MEMBER, ContactRole.ADMIN]


@dataclass(frozen=True)
class MatrixRow:
    key: str
    label: str
    granted: list[bool]


def entitlement_rows(plan: Plan, contract: Contract | None = None) -> list[MatrixRow]:
    """One row per entitlement that is known (or that the plan declares), one column per role,
    ticked where ``entitlements.may`` lets the role use it: what is shown is what is decided."""
    rows = [
        MatrixRow(key, label, [may(plan, role, key) for role in ROLES])
        for key, label in _entitlements(plan)
    ]
    everyone = [True] * len(ROLES)
    nobody = [False] * len(ROLES)
    guaranteed = any(t.guaranteed for t in plan.targets.all())
    rows.append(
        MatrixRow(
            "priority_response",
            str(_("Guaranteed response times")),
            everyone if guaranteed else nobody,
        )
    )
    rows.append(
        MatrixRow(
            "automatic_escalation",
            str(_("Automatic escalation to a higher level")),
            everyone if plan.automatic_escalation else nobody,
        )
    )
    if contract is not None:
        rows.append(
            MatrixRow(
                "account_manager",
                str(_("Technical account manager")),
                everyone if contract.account_manager_id else nobody,
            )
        )
    return rows


def granted_to(plan: Plan, role: str) -> list[str]:
    """The entitlement rows ticked for this role, by label."""
    return [label for key, label in _entitlements(plan) if may(plan, role, key)]


def _entitlements(plan: Plan) -> list[tuple[str, str]]:
    """(key, label) of every known entitlement, then of any other the plan declares."""
    labels = dict(Entitlement.choices)
    declared = [key for key in plan.entitlements or {} if key not in labels]
    return [(key, str(label)) for key, label in labels.items()] + [(k, k) for k in declared]


def roles() -> list[str]:
    return [str(role.label) for role in ROLES]


@dataclass(frozen=True)
class TargetRow:
    metric: str
    priorities: str
    channels: str
    amount: str
    hours: str
    guaranteed: bool


def target_rows(plan: Plan) -> list[TargetRow]:
    rows = []
    for target in plan.targets.all():
        rows.append(
            TargetRow(
                metric=str(Metric(target.metric).label),
                priorities=", ".join(target.priorities) or str(_("all")),
                channels=", ".join(map(channel_label, target.channels)) or str(_("all")),
                amount=describe_amount(target.within, target.business_days),
                hours=str(_("around the clock"))
                if target.around_the_clock
                else str(_("business hours")),
                guaranteed=target.guaranteed,
            )
        )
    return rows


DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def weekly_hours(calendar: BusinessCalendar) -> list[str]:
    """A calendar's week as people read it, consecutive days with the same hours together:
    ["Mon–Fri: 09:00–13:00, 14:00–18:00"], day names in the active language."""
    lines: list[str] = []
    runs: list[tuple[int, int, list[str]]] = []
    for index, day in enumerate(DAYS):
        spans = calendar.weekly.get(day) or []
        if runs and runs[-1][2] == spans and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index, spans)
        elif spans:
            runs.append((index, index, spans))
    for first, last, spans in runs:
        days = str(WEEKDAYS_ABBR[first])
        if last != first:
            days += f"–{WEEKDAYS_ABBR[last]}"
        lines.append(f"{days}: {', '.join(s.replace('-', '–') for s in spans)}")
    return lines


def describe_amount(within: timedelta | None, business_days: int | None) -> str:
    """ "within 4 hours", "by the end of the next business day", in the active language."""
    if business_days is not None:
        return ngettext(
            "by the end of the next business day",
            "by the end of business day %(n)s",
            business_days,
        ) % {"n": business_days}
    minutes = int(within.total_seconds() // 60) if within else 0
    hours, rest = divmod(minutes, 60)
    if hours > 48 and not rest and not hours % 24:  # a repair's "14 days"; "24 hours" stays
        days = hours // 24
        return ngettext("within %(n)s day", "within %(n)s days", days) % {"n": days}
    if hours and not rest:
        return ngettext("within %(n)s hour", "within %(n)s hours", hours) % {"n": hours}
    return ngettext("within %(n)s minute", "within %(n)s minutes", minutes) % {"n": minutes}
