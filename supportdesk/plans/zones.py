"""A person's home zone, for people who have chosen none: a customer's is the zone of their
organization's contract in force (the hours its promises count), an agent's the zone most of
their provider's plans count in (teams carry no zone of their own), as is a customer's
without a contract in force.

``TimezoneMiddleware`` shows every page in the viewer's zone (see ``accounts.middleware``)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from supportdesk.accounts.middleware import (
    chosen_zone,
    own_zone,
    showing,
    viewer_zone,
    zone_or_none,
)
from supportdesk.plans.contracts import in_force_among
from supportdesk.plans.models import Contract, Plan


def home_zone(user, at: datetime | None = None) -> ZoneInfo | None:
    """The zone a person's times are shown in when they have chosen none (one or two queries)."""
    if user is None or not user.is_authenticated:
        return None
    contracts = list(
        Contract.objects.filter(organization__contacts__user=user).select_related(
            "plan__calendar", "calendar"
        )
    )
    contract = in_force_among(contracts, at or timezone.now())
    if contract is not None:
        return zone_or_none(contract.business_calendar.timezone)
    # An agent, or a customer between contracts: their provider's.
    busiest = (
        Plan.objects.filter(
            Q(brand__agents__user=user) | Q(brand__organizations__contacts__user=user)
        )
        .values("calendar__timezone")
        .annotate(plans=Count("pk", distinct=True))
        .order_by("-plans", "calendar__timezone")
        .first()
    )
    return zone_or_none(busiest["calendar__timezone"]) if busiest else None


def zone_for(user, at: datetime | None = None) -> ZoneInfo:
    """The zone to write a person's times in outside a page (mail): chosen, else home, else UTC."""
    return chosen_zone(user) or home_zone(user, at) or ZoneInfo("UTC")


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        home = home_zone(user) if chosen_zone(user) is None else None
        request.timezone = viewer_zone(request, home)
        with showing(request.timezone, own_zone(request)):
            return self.get_response(request)
