"""The workspace's own writes: saved views, canned replies, and changes to many cases at once
(each case through the case service, in a transaction of its own)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from supportdesk.accounts.access import brand_scope
from supportdesk.accounts.models import Brand, User
from supportdesk.desk.models import Macro, SavedView
from supportdesk.tickets import services
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case


def _brand_of(agent: User) -> Brand | None:
    """The brand an agent's views and replies belong to: their own; none for an agent of every
    brand (an unbranded row is everyone's)."""
    scope = brand_scope(agent)
    return Brand.objects.get(pk=scope) if isinstance(scope, int) else None


# ----------------------------------------------------------------------------- saved views


@transaction.atomic
def save_view(
    owner: User, name: str, params: Mapping[str, str], *, shared: bool, at: datetime | None = None
) -> SavedView:
    """Keep the queue's filters under a name; saving a name again replaces that view's filters."""
    view, _created = SavedView.objects.update_or_create(
        owner=owner,
        name=name,
        defaults={
            "params": dict(params),
            "shared": shared,
            "brand": _brand_of(owner),
            "created_at": at or timezone.now(),
        },
    )
    return view


def delete_view(view: SavedView) -> None:
    view.delete()


# --------------------------------------------------------------------------- canned replies


@transaction.atomic
def save_macro(
    macro: Macro | None,
    *,
    name: str,
    body: str,
    status: str,
    actor: User,
    at: datetime | None = None,
) -> Macro:
    """Create a canned reply for the agent's brand, or change one."""
    macro = macro or Macro(brand=_brand_of(actor))
    macro.name, macro.body, macro.status = name, body, status
    macro.updated_by, macro.updated_at = actor, at or timezone.now()
    macro.save()
    return macro


def delete_macro(macro: Macro) -> None:
    macro.delete()


_VARIABLE = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def macro_values(case: Case, agent: User) -> dict[str, str]:
    """What a canned reply's variables stand for on this case, for this agent."""
    contact = case.contact
    return {
        "case.reference": case.label,
        "case.subject": case.subject,
        "requester.name": contact.name if contact else "",
        "requester.email": (contact.email if contact else "") or case.requester_address,
        "agent.name": agent.name or agent.email,
        "organization.name": case.organization.name if case.organization else "",
    }


def render_macro(body: str, values: Mapping[str, str]) -> str:
    """The text with its known variables filled in: a plain substitution, not the template
    engine (a canned reply is text people wrote, and must not reach settings or tags); an
    unknown ``{{ name }}`` stays as written."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), body)


# --------------------------------------------------------------------------- many cases


@dataclass
class BulkResult:
    """Which cases changed, and why the others did not (by case label)."""

    changed: list[Case] = field(default_factory=list)
    refused: list[tuple[Case, str]] = field(default_factory=list)


def update_cases(
    cases: Iterable[Case],
    changes: services.CaseChanges,
    *,
    actor: User,
    at: datetime | None = None,
) -> BulkResult:
    """Apply the same change to each case, one transaction per case: a case that refuses (a
    closed one) is reported and the others change all the same."""
    at = at or timezone.now()
    result = BulkResult()
    for case in cases:
        try:
            result.changed.append(services.update_case(case, changes, actor=actor, at=at))
        except CaseError as error:
            result.refused.append((case, error.message))
    return result
