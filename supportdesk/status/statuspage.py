"""The JSON of Statuspage's public API (``/api/v2/summary.json`` and the rest), field for field,
so widgets and monitors written for Statuspage read this desk's page. The audience rule is the
page's: each reader gets what they may see."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.status import page
from supportdesk.status.choices import SEVERITY
from supportdesk.status.models import Component, ComponentGroup, Incident, Maintenance

#: Statuspage names the page it describes; this desk has one.
PAGE_ID = "supportdesk"
#: Statuspage's impact of a maintenance.
MAINTENANCE_IMPACT = "maintenance"


def _time(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _page(url: str, seen: list[Component]) -> dict[str, Any]:
    latest = max((c.revised_at for c in seen), default=None)
    return {
        "id": PAGE_ID,
        "name": _("Service status"),
        "url": url,
        "time_zone": settings.TIME_ZONE,
        "updated_at": _time(latest),
    }


def _component(component: Component, language: str) -> dict[str, Any]:
    return {
        "id": component.slug,
        "name": component.name_in(language),
        "status": component.status,
        "created_at": _time(component.created_at),
        "updated_at": _time(component.revised_at),
        "position": component.position,
        "description": component.description or None,
        "showcase": True,
        "start_date": component.created_at.date().isoformat(),
        "group_id": component.group.slug if component.group else None,
        "page_id": PAGE_ID,
        "group": False,
        "only_show_if_degraded": False,
    }


def _group(group: ComponentGroup, members: list[Component], language: str) -> dict[str, Any]:
    """Statuspage lists a group as a component that holds the ids of its members."""
    return {
        "id": group.slug,
        "name": group.name_in(language),
        "status": max((c.status for c in members), key=SEVERITY.__getitem__),
        "created_at": _time(min(c.created_at for c in members)),
        "updated_at": _time(group.revised_at),
        "position": group.position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": PAGE_ID,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.slug for c in members],
    }


def _components(seen: list[Component], language: str) -> list[dict[str, Any]]:
    groups: dict[int, tuple[ComponentGroup, list[Component]]] = {}
    for component in seen:
        if component.group is not None:
            groups.setdefault(component.group.pk, (component.group, []))[1].append(component)
    return [_component(c, language) for c in seen] + [
        _group(group, members, language) for group, members in groups.values()
    ]


def _common(notice: Incident | Maintenance, language: str) -> dict[str, Any]:
    """What incidents and maintenance share: their updates and (the reader's) components."""
    names = {c.slug: c.name_in(language) for c in notice.components.all()}
    updates = [
        {
            "id": str(update.pk),
            "status": update.status,
            "body": update.body_in(language),
            "incident_id": str(notice.pk),
            "created_at": _time(update.at),
            "updated_at": _time(update.at),
            "display_at": _time(update.at),
            "affected_components": [
                {"code": slug, "name": names[slug], "new_status": status}
                for slug, status in getattr(update, "components", {}).items()
                if slug in names
            ]
            or None,
        }
        for update in notice.updates.all()
    ]
    return {
        "id": str(notice.pk),
        "name": notice.name_in(language),
        "status": notice.status,
        "updated_at": _time(notice.updated_at),
        "shortlink": None,
        "page_id": PAGE_ID,
        "incident_updates": updates,
        "components": [_component(c, language) for c in notice.components.all()],
    }


def _incident(incident: Incident, language: str) -> dict[str, Any]:
    return {
        **_common(incident, language),
        "created_at": _time(incident.started_at),
        "started_at": _time(incident.started_at),
        "monitoring_at": _time(incident.monitoring_at),
        "resolved_at": _time(incident.resolved_at),
        "impact": incident.impact,
    }


def _maintenance(maintenance: Maintenance, language: str) -> dict[str, Any]:
    return {
        **_common(maintenance, language),
        "created_at": _time(maintenance.created_at),
        "started_at": _time(maintenance.started_at or maintenance.starts_at),
        "monitoring_at": None,
        "resolved_at": _time(maintenance.completed_at),
        "impact": MAINTENANCE_IMPACT,
        "scheduled_for": _time(maintenance.starts_at),
        "scheduled_until": _time(maintenance.ends_at),
    }


def _seen(user: User | None) -> list[Component]:
    return list(page.components(user))


def status(user: User | None, url: str) -> dict[str, Any]:
    seen = _seen(user)
    overall = page.overall(seen, list(page.unresolved(user)))
    return {
        "page": _page(url, seen),
        "status": {"indicator": overall.indicator, "description": overall.description},
    }


def components(user: User | None, url: str) -> dict[str, Any]:
    seen = _seen(user)
    return {"page": _page(url, seen), "components": _components(seen, get_language())}


def _incidents(found: Any, user: User | None, url: str) -> dict[str, Any]:
    language = get_language()
    return {"page": _page(url, _seen(user)), "incidents": [_incident(i, language) for i in found]}


def _maintenances(found: Any, user: User | None, url: str) -> dict[str, Any]:
    language = get_language()
    listed = [_maintenance(m, language) for m in found]
    return {"page": _page(url, _seen(user)), "scheduled_maintenances": listed}


def incidents(user: User | None, url: str) -> dict[str, Any]:
    return _incidents(page.incidents(user)[:50], user, url)


def unresolved(user: User | None, url: str) -> dict[str, Any]:
    return _incidents(page.unresolved(user), user, url)


def maintenances(user: User | None, url: str) -> dict[str, Any]:
    return _maintenances(page.maintenances(user).order_by("-starts_at")[:50], user, url)


def upcoming(user: User | None, url: str) -> dict[str, Any]:
    return _maintenances(page.upcoming(user), user, url)


def active(user: User | None, url: str) -> dict[str, Any]:
    return _maintenances(page.active_maintenance(user), user, url)


def summary(user: User | None, url: str) -> dict[str, Any]:
    language = get_language()
    seen = _seen(user)
    open_incidents = list(page.unresolved(user))
    overall = page.overall(seen, open_incidents)
    scheduled = [*page.active_maintenance(user), *page.upcoming(user)]
    return {
        "page": _page(url, seen),
        "components": _components(seen, language),
        "incidents": [_incident(i, language) for i in open_incidents],
        "scheduled_maintenances": [_maintenance(m, language) for m in scheduled],
        "status": {"indicator": overall.indicator, "description": overall.description},
    }
