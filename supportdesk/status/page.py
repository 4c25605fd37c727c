"""What a reader of the status page sees: their components, the overall state, uptime, notices.

One place for the HTML page, the feed and the Statuspage JSON, so they never disagree about
what a person may see. Everything here reads; the services write.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import groupby

from django.db import connection
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext as _

from supportdesk.accounts.access import works_the_desk
from supportdesk.accounts.models import User
from supportdesk.status import uptime
from supportdesk.status.choices import (
    IMPACT_ORDER,
    INDICATOR,
    SEVERITY,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from supportdesk.status.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Revision,
    StatusChange,
    plan_in_force,
)

#: How many resolved incidents the page lists under "Past incidents".
PAST_INCIDENTS = 10


def components(user: User | None):
    return Component.objects.visible_to(user).select_related("group")


def _affected(user: User | None):
    """The components of a notice the reader may see (one they may not is never named)."""
    return Component.objects.visible_to(user).select_related("group")


def incidents(user: User | None, *, drafts: bool = False):
    """What the reader may see; ``drafts`` (monitor alerts not yet published) for the desk's
    own pages only: the status page and its JSON show published incidents alone."""
    updates = IncidentUpdate.objects.order_by("-at", "-pk")
    found = Incident.objects.visible_to(user)
    if not (drafts and works_the_desk(user)):
        found = found.filter(published=True)
    return found.prefetch_related(
        Prefetch("updates", queryset=updates), Prefetch("components", queryset=_affected(user))
    )


def maintenances(user: User | None):
    updates = MaintenanceUpdate.objects.order_by("-at", "-pk")
    return Maintenance.objects.visible_to(user).prefetch_related(
        Prefetch("updates", queryset=updates), Prefetch("components", queryset=_affected(user))
    )


def unresolved(user: User | None):
    return incidents(user).exclude(status=IncidentStatus.RESOLVED)


def past(user: User | None):
    return incidents(user).filter(status=IncidentStatus.RESOLVED)[:PAST_INCIDENTS]


def upcoming(user: User | None):
    return maintenances(user).filter(status=MaintenanceStatus.SCHEDULED)


def active_maintenance(user: User | None):
    return maintenances(user).filter(
        status__in=[MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING]
    )


@dataclass(frozen=True)
class Overall:
    indicator: str
    description: str


def overall(seen: Sequence[Component], open_incidents: Sequence[Incident]) -> Overall:
    """Statuspage's ``status``: the worst of the components' states and the open incidents'
    impact."""
    worst = max((c.status for c in seen), key=SEVERITY.__getitem__, default=None)
    worst = worst or ComponentStatus.OPERATIONAL
    levels = [INDICATOR[worst], *(i.impact for i in open_incidents)]
    indicator = max(levels, key=IMPACT_ORDER.index)
    if indicator == Impact.NONE and worst == ComponentStatus.UNDER_MAINTENANCE:
        return Overall(indicator, _("Service under maintenance"))
    descriptions: dict[str, str] = {
        Impact.NONE: _("All systems operational"),
        Impact.MINOR: _("Minor service outage"),
        Impact.MAJOR: _("Partial system outage"),
        Impact.CRITICAL: _("Major service outage"),
    }
    return Overall(indicator, descriptions[indicator])


def histories(seen: Sequence[Component], since: datetime) -> dict[int, list[tuple[datetime, str]]]:
    """Each component's changes from ``since``, led by the last one before it: two queries
    however many components."""
    ids = [c.pk for c in seen]
    before = StatusChange.objects.filter(component=OuterRef("pk"), at__lt=since).order_by(
        "-at", "-pk"
    )
    result: dict[int, list[tuple[datetime, str]]] = {pk: [] for pk in ids}
    leading = Component.objects.filter(pk__in=ids).annotate(
        prior_at=Subquery(before.values("at")[:1]),
        prior_status=Subquery(before.values("status")[:1]),
    )
    for pk, at, status in leading.values_list("pk", "prior_at", "prior_status"):
        if at is not None:
            result[pk].append((at, status))
    later = (
        StatusChange.objects.filter(component__in=ids, at__gte=since)
        .order_by("component", "at", "pk")
        .values_list("component", "at", "status")
    )
    for pk, rows in groupby(later, key=lambda row: row[0]):
        result[pk].extend((at, status) for _pk, at, status in rows)
    return result


@dataclass(frozen=True)
class Row:
    """A component as the page shows it, with its days."""

    component: Component
    days: list[uptime.Day]
    uptime: float | None


def rows(seen: Sequence[Component], *, end: datetime, zone: tzinfo) -> list[Row]:
    first = end.astimezone(zone).date() - timedelta(days=uptime.DAYS - 1)
    found = histories(seen, uptime.midnight(first, zone))
    result = []
    for component in seen:
        days = uptime.daily(found[component.pk], end=end, zone=zone)
        result.append(Row(component, days, uptime.overall(days)))
    return result


def by_group(seen: Sequence[Row]) -> list[tuple[ComponentGroup | None, list[Row]]]:
    """Rows under their groups (groups in their order, ungrouped components first)."""

    def key(row: Row) -> tuple:
        group = row.component.group
        if group is None:
            return (False, 0, "", 0)
        return (True, group.position, group.name, group.pk)

    ordered = sorted(seen, key=lambda r: (key(r), r.component.position, r.component.name))
    result = []
    for _key, members in groupby(ordered, key=key):
        listed = list(members)
        result.append((listed[0].component.group, listed))
    return result


def revision(user: User | None, *parts: str) -> str:
    """An ETag for what ``user`` sees: the status tables' revision, the audience the reader
    belongs to (the desk, everyone, or an organization with its plan in force) and the
    caller's own parts (address, language, time zone, day, reader)."""
    text = repr((revisions(), audience(user), parts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def revisions() -> tuple[tuple[int, int], ...]:
    """The numbers ``Revision`` keeps, in one read (none before the first row is saved). The
    statement is written out: it comes before every kept signed-in answer, and the ORM takes
    longer to build it than the database takes to run it."""
    table = connection.ops.quote_name(Revision._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, number FROM {table} ORDER BY id")
        return tuple((pk, number) for pk, number in cursor.fetchall())


def audience(user: User | None) -> tuple[str, int | None, int | None]:
    """Which components a reader may see depends on this alone (see ``ComponentQuerySet``)."""
    if works_the_desk(user):
        return ("desk", None, None)
    contact = user.contact_or_none if user is not None and user.is_active else None
    if contact is None:
        return ("public", None, None)
    return ("customer", contact.organization_id, plan_in_force(contact))
