"""Which contract is in force: the one question coverage, chat, the portal, the API and the
knowledge base all ask, answered once.

A contract's days begin and end at midnight in its own business hours' zone (the customer's
region where the contract names one), whoever is asking and wherever they are: at 23:30 UTC on
a Lisbon contract's last day in winter it is still in force, and at 23:30 UTC on a Warsaw
contract's last day it has already ended.
"""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from supportdesk.accounts.models import Organization
from supportdesk.db import fetch_rows
from supportdesk.plans.models import Contract


def local_day(contract: Contract, at: datetime) -> date:
    """The date on the contract's own calendar at the instant ``at``."""
    return at.astimezone(ZoneInfo(contract.business_calendar.timezone)).date()


def in_force_among(contracts: Iterable[Contract], at: datetime) -> Contract | None:
    """The latest-starting contract in force at ``at``, from contracts already loaded (with
    their plan's and their own calendar), for lists that prefetch them."""
    ordered = sorted(contracts, key=lambda c: (c.start, c.pk), reverse=True)
    return next((c for c in ordered if c.active_on(local_day(c, at))), None)


def organization_contracts(organization: Organization | int) -> list[Contract]:
    """The organization's contracts, newest first, with what ``in_force_among`` reads (the
    plan and the calendars) and the account manager. One statement compiled once: coverage
    asks on every case, and a caller waits on it while the phone rings."""
    return fetch_rows(
        Contract,
        ("-start", "-pk"),
        related=("plan", "plan__calendar", "calendar", "account_manager"),
        organization_id=organization if isinstance(organization, int) else organization.pk,
    )


def in_force(
    organization: Organization | int | None, at: datetime | None = None
) -> Contract | None:
    """The organization's contract in force at ``at`` (default now), or None."""
    if organization is None:
        return None
    return in_force_among(organization_contracts(organization), at or timezone.now())
