"""What a plan includes, as people read it: the entitlement matrix (Zoom-style: what each role
may use) and the target table. Read-only helpers shared by the agent and customer pages."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportdesk.accounts.choices import ContactRole
from supportdesk.accounts.models import Organization
from supportdesk.plans.choices import Metric
from supportdesk.plans.models import Contract, Plan

#: The rows of the matrix, in order: entitlement key → what it lets a person do.
ENTITLEMENTS = {
    "help_center": _("24/7 help centre"),
    "self_service": _("Self-service articles and guides"),
    "chatbot": _("Chatbot"),
    "live_chat": _("Live chat with an agent"),
    "ticket_l1": _("Level 1 support by web case"),
    "email_l1": _("Level 1 support by email"),
    "chat_l1": _("Level 1 support by chat"),
    "phone_l1": _("Level 1 support by phone"),
    "ticket_l2": _("Direct Level 2 support by web case"),
    "email_l2": _("Direct Level 2 support by email"),
    "chat_l2": _("Direct Level 2 support by chat"),
    "phone_l2": _("Direct Level 2 support by phone"),
}

ROLES = [ContactRole.MEMBER, ContactRole.LICENSED_MEMBER, ContactRole.ADMIN]


@dataclass(frozen=True)
class MatrixRow:
    key: str
    label: str
    granted: list[bool]


def current_contract(organization: Organization | None, day: date | None = None):
    """The organization's contract in force today (the latest start), with its plan."""
    if organization is None:
        return None
    day = day or timezone.localdate()
    contracts = (
        Contract.objects.filter(organization=organization, start__lte=day)
        .select_related("plan", "plan__calendar", "account_manager")
        .order_by("-start")
    )
    return next((c for c in contracts if c.active_on(day)), None)


def entitlement_rows(plan: Plan, contract: Contract | None = None) -> list[MatrixRow]:
    """One row per entitlement the plan grants (or that is known), one column per role."""
    granted = plan.entitlements or {}
    rows = [
        MatrixRow(key, str(label), [role.value in granted.get(key, []) for role in ROLES])
        for key, label in ENTITLEMENTS.items()
    ]
    rows += [
        MatrixRow(key, key, [role.value in roles for role in ROLES])
        for key, roles in granted.items()
        if key not in ENTITLEMENTS
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
                channels=", ".join(target.channels) or str(_("all")),
                amount=describe_amount(target.within, target.business_days),
                hours=str(_("around the clock"))
                if target.around_the_clock
                else str(_("business hours")),
                guaranteed=target.guaranteed,
            )
        )
    return rows


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
    if hours and not rest:
        return ngettext("within %(n)s hour", "within %(n)s hours", hours) % {"n": hours}
    return ngettext("within %(n)s minute", "within %(n)s minutes", minutes) % {"n": minutes}
