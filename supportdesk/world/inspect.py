"""A case as plain data: what ``show_case --json`` prints and what the API can return as is."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from supportdesk.billing.models import BreachCredit
from supportdesk.channels.email.models import SenderCheck, sender_checks
from supportdesk.tickets.models import Case, SlaClock


def find_case(ident: str) -> Case | None:
    """A case by its external reference (``WP-1``) or its number (``17`` or ``#17``)."""
    ident = ident.strip()
    queryset = Case.objects.select_related("organization", "plan")
    case = queryset.filter(reference=ident).first()
    if case is None and ident.lstrip("#").isdigit():
        case = queryset.filter(pk=int(ident.lstrip("#"))).first()
    return case


def utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit ``+00:00``, whatever zone the value came in."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def clock_summary(clock: SlaClock) -> dict[str, Any]:
    return {
        "due": utc(clock.due_at),
        "met_at": utc(clock.met_at),
        "breached": clock.breached_at is not None,
        "breached_at": utc(clock.breached_at),
        "guaranteed": clock.guaranteed,
    }


def case_summary(case: Case) -> dict[str, Any]:
    """The case, its conversation and its promises; instants in UTC, codes rather than labels."""
    credit = BreachCredit.objects.filter(case=case).values_list("hours", flat=True).first()
    checks = sender_checks(case.pk)
    return {
        "case": case.label,
        "org": case.organization.slug if case.organization else None,
        "plan": case.plan.slug if case.plan else None,
        "priority": case.priority,
        "status": case.status,
        "level": case.level,
        "subject": case.subject,
        "requester": case.requester_address,
        "messages": [
            {
                "at": utc(m.at),
                "from": m.from_address,
                "public": m.public,
                "body": m.body,
                # For mail: whether DKIM or DMARC vouched for the sender (None: not mail).
                "sender_verified": checks[m.pk] == SenderCheck.PASS if m.pk in checks else None,
            }
            for m in case.messages.order_by("at", "id")
        ],
        "asset": case.asset.serial if case.asset is not None else None,
        "covered": case.covered,
        "coverage_reason": str(case.coverage_reason),
        "clocks": {c.metric: clock_summary(c) for c in case.clocks.order_by("metric")},
        "credit_hours": number(credit) if credit is not None else 0,
    }
