"""The status part of the REST API, mounted at ``/api/status``: agents declare and update
incidents and maintenance (setting component statuses in the same step) and link the cases an
incident caused; anyone signed in reads the components they may see. Thin: every write is a
``status.services`` call."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from supportdesk.accounts.access import Action
from supportdesk.api import errors
from supportdesk.api.auth import caller, require_agent
from supportdesk.api.schemas import Body, Id, Input, Name, Slug
from supportdesk.status import page, services
from supportdesk.status.choices import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus
from supportdesk.status.models import Component, Incident, Maintenance
from supportdesk.tickets.models import Case

router = Router(tags=["status"])

#: The longest maintenance window the API takes, in minutes (four weeks).
MAX_WINDOW = 4 * 7 * 24 * 60
#: By component key; a key that names no component is a 404 naming it.
Statuses = dict[str, ComponentStatus]


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(_("expected an ISO 8601 date and time with its offset"))
    return value


def _in_utc(value: datetime) -> datetime:
    """Stored in UTC: PostgreSQL refuses offsets beyond its range (say -22:17) as written."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(_("expected an ISO 8601 date and time with its offset")) from None


#: An instant written as ISO 8601 text with its offset (a bare number is refused).
Instant = Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(_in_utc)]
Flag = Annotated[bool, Field(strict=True)]


class Names(Input):
    """The name in other languages, where it differs."""

    en: Name | None = None
    pl: Name | None = None
    pt: Name | None = None


class Texts(Input):
    """The text in other languages, where it differs."""

    en: Body | None = None
    pl: Body | None = None
    pt: Body | None = None


def _given(texts: Input) -> dict[str, str]:
    return {lang: text for lang, text in texts.model_dump().items() if text}


#: HTTP status of each refusal: a resolved incident or completed maintenance is a conflict.
STATUS = {
    services.StatusErrorCode.RESOLVED: 409,
    services.StatusErrorCode.UNKNOWN_COMPONENT: 404,
    services.StatusErrorCode.NOT_AN_AGENT: 403,
}
CONFLICT = {409: errors.Error}


def _refused(error: services.StatusError) -> errors.ApiError:
    return errors.ApiError(STATUS.get(error.code, 400), error.code, error.message, error.field)


class ComponentOut(Schema):
    id: str = Field(description="The component's key.")
    name: str
    group: str | None
    status: ComponentStatus
    status_since: datetime


class UpdateOut(Schema):
    id: int
    at: datetime
    status: str
    body: str
    components: dict[str, str] = {}


class IncidentOut(Schema):
    id: int
    name: str
    impact: Impact
    status: IncidentStatus
    started_at: datetime
    resolved_at: datetime | None
    components: list[str]
    updates: list[UpdateOut]
    linked_cases: int


class MaintenanceOut(Schema):
    id: int
    name: str
    status: MaintenanceStatus
    starts_at: datetime
    ends_at: datetime
    components: list[str]
    updates: list[UpdateOut]


class IncidentIn(Input):
    name: Name
    names: Names = Names()
    impact: Impact
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    body: Body
    bodies: Texts = Texts()
    components: Statuses = Field({}, description='By key: {"pbx-cliente-b": "major_outage"}.')


class IncidentUpdateIn(Input):
    status: IncidentStatus
    body: Body
    bodies: Texts = Texts()
    components: Statuses = {}
    impact: Impact | None = None
    answer_cases: Flag = Field(
        False, description="Post the update to every linked case as a public reply."
    )
    resolve_cases: Flag = Field(False, description="With `resolved`: resolve the linked cases.")


class LinkIn(Input):
    cases: list[Id] = Field([], description="Ids of cases to link.", max_length=1000)
    since: Instant | None = Field(
        None, description="Also link every open case of the affected organizations since then."
    )


class LinkOut(Schema):
    linked: int


class MaintenanceIn(Input):
    name: Name
    names: Names = Names()
    starts_at: Instant
    minutes: int = Field(
        ge=1, le=MAX_WINDOW, description="The window's length: it ends this many minutes later."
    )
    body: Body
    bodies: Texts = Texts()
    components: list[str] = Field([], description="Component keys.", max_length=1000)


class MaintenanceUpdateIn(Input):
    status: MaintenanceStatus
    body: Body
    bodies: Texts = Texts()


class ComponentStatusIn(Input):
    status: ComponentStatus


def _component(component: Component) -> dict[str, Any]:
    return {
        "id": component.slug,
        "name": component.name,
        "group": component.group.slug if component.group else None,
        "status": component.status,
        "status_since": component.status_since,
    }


def _update(update: Any, seen: set[str]) -> dict[str, Any]:
    """An update as the reader may see it: statuses of their components only."""
    statuses = getattr(update, "components", {})
    return {
        "id": update.pk,
        "at": update.at,
        "status": update.status,
        "body": update.body,
        "components": {slug: status for slug, status in statuses.items() if slug in seen},
    }


def _incident(incident: Incident) -> dict[str, Any]:
    """``incident`` as ``page.incidents`` reads it: only the reader's components."""
    seen = {c.slug for c in incident.components.all()}
    return {
        "id": incident.pk,
        "name": incident.name,
        "impact": incident.impact,
        "status": incident.status,
        "started_at": incident.started_at,
        "resolved_at": incident.resolved_at,
        "components": sorted(seen),
        "updates": [_update(u, seen) for u in incident.updates.all()],
        "linked_cases": incident.case_links.count(),
    }


def _maintenance(maintenance: Maintenance) -> dict[str, Any]:
    seen = {c.slug for c in maintenance.components.all()}
    return {
        "id": maintenance.pk,
        "name": maintenance.name,
        "status": maintenance.status,
        "starts_at": maintenance.starts_at,
        "ends_at": maintenance.ends_at,
        "components": sorted(seen),
        "updates": [_update(u, seen) for u in maintenance.updates.all()],
    }


def _visible_incident(request: HttpRequest, incident_id: int) -> Incident:
    found = page.incidents(caller(request), drafts=True).filter(pk=incident_id).first()
    if found is None:
        raise errors.unknown("incident_id", _("No incident with that id."))
    return found


def _visible_maintenance(request: HttpRequest, maintenance_id: int) -> Maintenance:
    found = page.maintenances(caller(request)).filter(pk=maintenance_id).first()
    if found is None:
        raise errors.unknown("maintenance_id", _("No maintenance with that id."))
    return found


@router.get("/components", response={200: list[ComponentOut], **errors.READ})
def list_components(request: HttpRequest) -> list[dict[str, Any]]:
    """The components the caller may see: the public ones, their organization's and plan's."""
    return [_component(c) for c in page.components(caller(request))]


@router.post("/components/{slug}/status", response={200: ComponentOut, **errors.WRITE_ONE})
def set_component_status(
    request: HttpRequest, slug: Slug, payload: ComponentStatusIn
) -> dict[str, Any]:
    """Set a component's status outside any incident (agents)."""
    user = caller(request)
    require_agent(user)
    component = Component.objects.restrict(user, Action.CHANGE).filter(slug=slug).first()
    if component is None:
        raise errors.unknown("slug", _("There is no component %(slug)s.") % {"slug": slug})
    services.set_component_status(component, payload.status, actor=user)
    return _component(component)


@router.post("/incidents", response={201: IncidentOut, **errors.WRITE_ONE})
def open_incident(request: HttpRequest, payload: IncidentIn) -> HttpStatus[dict]:
    """Declare an incident with its first update; the named components take their statuses."""
    user = caller(request)
    require_agent(user)
    try:
        incident = services.open_incident(
            name=payload.name,
            names=_given(payload.names),
            impact=payload.impact,
            status=payload.status,
            body=payload.body,
            bodies=_given(payload.bodies),
            components=payload.components,
            author=user,
        )
    except services.StatusError as error:
        raise _refused(error) from None
    return HttpStatus(201, _incident(_visible_incident(request, incident.pk)))


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **errors.READ_ONE})
def get_incident(request: HttpRequest, incident_id: Id) -> dict[str, Any]:
    return _incident(_visible_incident(request, incident_id))


@router.post(
    "/incidents/{incident_id}/updates",
    response={201: IncidentOut, **errors.WRITE_ONE, **CONFLICT},
)
def update_incident(
    request: HttpRequest, incident_id: Id, payload: IncidentUpdateIn
) -> HttpStatus[dict]:
    """Add an update and set the statuses in the same step; ``resolved`` closes the incident.
    409 ``resolved`` once it is closed."""
    user = caller(request)
    require_agent(user)
    incident = _visible_incident(request, incident_id)
    try:
        services.update_incident(
            incident,
            status=payload.status,
            body=payload.body,
            bodies=_given(payload.bodies),
            components=payload.components,
            impact=payload.impact,
            answer_cases=payload.answer_cases,
            resolve_cases=payload.resolve_cases,
            author=user,
        )
    except services.StatusError as error:
        raise _refused(error) from None
    return HttpStatus(201, _incident(_visible_incident(request, incident_id)))


@router.post("/incidents/{incident_id}/cases", response={200: LinkOut, **errors.WRITE_ONE})
def link_cases(request: HttpRequest, incident_id: Id, payload: LinkIn) -> dict[str, int]:
    """Link cases the incident caused: by id, and/or every open case of the affected
    organizations received since ``since``."""
    user = caller(request)
    require_agent(user)
    incident = _visible_incident(request, incident_id)
    found = list(Case.objects.restrict(user, Action.CHANGE).filter(pk__in=payload.cases))
    if len(found) != len(set(payload.cases)):
        raise errors.unknown("cases", _("No case with that id."))
    linked = services.link_cases(incident, found, actor=user)
    if payload.since is not None:
        linked += services.link_open_cases(incident, since=payload.since, actor=user)
    return {"linked": linked}


@router.post("/maintenances", response={201: MaintenanceOut, **errors.WRITE_ONE})
def schedule_maintenance(request: HttpRequest, payload: MaintenanceIn) -> HttpStatus[dict]:
    """Announce maintenance of the named components in a window."""
    user = caller(request)
    require_agent(user)
    try:
        maintenance = services.schedule_maintenance(
            name=payload.name,
            names=_given(payload.names),
            window=services.Window(
                payload.starts_at, payload.starts_at + timedelta(minutes=payload.minutes)
            ),
            body=payload.body,
            bodies=_given(payload.bodies),
            components=payload.components,
            author=user,
        )
    except services.StatusError as error:
        raise _refused(error) from None
    return HttpStatus(201, _maintenance(_visible_maintenance(request, maintenance.pk)))


@router.post(
    "/maintenances/{maintenance_id}/updates",
    response={201: MaintenanceOut, **errors.WRITE_ONE, **CONFLICT},
)
def update_maintenance(
    request: HttpRequest, maintenance_id: Id, payload: MaintenanceUpdateIn
) -> HttpStatus[dict]:
    """Move maintenance on: ``in_progress`` puts its components under maintenance,
    ``completed`` returns them to operational."""
    user = caller(request)
    require_agent(user)
    maintenance = _visible_maintenance(request, maintenance_id)
    try:
        services.update_maintenance(
            maintenance,
            status=payload.status,
            body=payload.body,
            bodies=_given(payload.bodies),
            author=user,
        )
    except services.StatusError as error:
        raise _refused(error) from None
    return HttpStatus(201, _maintenance(_visible_maintenance(request, maintenance_id)))
