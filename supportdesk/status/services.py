"""The only write path for the status page: components, incidents, maintenance, linked cases.

The workspace, the REST API and the world file all call these. Each takes ``at`` (the instant
of the change; default now), and every status a component takes is stored with that instant,
so history and uptime can be recomputed.
"""

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.validators import slug_re
from django.db.models import F, Q, TextChoices
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization, User
from supportdesk.db import writing
from supportdesk.plans.contracts import in_force
from supportdesk.plans.models import Contract, Plan
from supportdesk.plans.services import Change
from supportdesk.status import alerts
from supportdesk.status.choices import (
    INDICATOR,
    SEVERITY,
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from supportdesk.status.models import (
    Alert,
    AlertDelivery,
    CaseLink,
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Revision,
    StatusChange,
    Subscription,
)
from supportdesk.tickets import outbox
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import OPEN_STATUSES, Status
from supportdesk.tickets.models import Case


class StatusErrorCode(StrEnum):
    INVALID = "invalid"
    UNKNOWN_COMPONENT = "unknown_component"
    RESOLVED = "resolved"
    NOT_AN_AGENT = "not_an_agent"


class StatusError(ValueError):
    def __init__(self, code: StatusErrorCode, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def raise_revision(which: int = Revision.STATUS) -> None:
    """Called for every saved status row, inside its transaction, so the revision a reader
    sees never runs ahead of the rows it stands for (see ``StatusConfig.ready``)."""
    if not Revision.objects.filter(pk=which).update(number=F("number") + 1):
        Revision.objects.get_or_create(pk=which, defaults={"number": 1})


def _require_agent(user: User | None) -> None:
    if user is None or not user.is_agent:
        raise StatusError(StatusErrorCode.NOT_AN_AGENT, _("Only agents can do this."))


def _choice(value: str, choices: type[TextChoices], field: str) -> str:
    if value not in choices.values:
        raise StatusError(
            StatusErrorCode.INVALID, _("%(v)s is not a valid value.") % {"v": value}, field
        )
    return value


def _saved(row: Any, fields: Mapping[str, Any], related: Mapping[str, set[int]]) -> Change:
    """Set ``fields`` on an existing row; whether that (or its related sets) changes it."""
    changed = any(getattr(row, key) != value for key, value in fields.items())
    changed |= any(
        set(getattr(row, name).values_list("pk", flat=True)) != pks for name, pks in related.items()
    )
    if changed:
        for key, value in fields.items():
            setattr(row, key, value)
        row.save()
    return Change.UPDATED if changed else Change.UNCHANGED


@writing()
def save_group(
    slug: str, *, name: str, names: Mapping[str, str], position: int = 0
) -> tuple[ComponentGroup, Change]:
    fields = {"name": name, "names": dict(names), "position": position}
    group = ComponentGroup.objects.filter(slug=slug).first()
    if group is None:
        return ComponentGroup.objects.create(slug=slug, **fields), Change.CREATED
    return group, _saved(group, fields, {})


@writing()
def save_component(
    slug: str,
    *,
    name: str,
    names: Mapping[str, str],
    group: ComponentGroup | None = None,
    audience: str = Audience.PUBLIC,
    organizations: Iterable[Organization] = (),
    plans: Iterable[Plan] = (),
    description: str = "",
    position: int = 0,
    at: datetime | None = None,
) -> tuple[Component, Change]:
    """Create or reconfigure a component; a new one starts operational at ``at``. Only the
    audience it names keeps its organizations or plans."""
    at = at or timezone.now()
    _choice(audience, Audience, "audience")
    fields = {
        "name": name,
        "names": dict(names),
        "group": group,
        "audience": audience,
        "description": description,
        "position": position,
    }
    related = {
        "organizations": {o.pk for o in organizations}
        if audience == Audience.ORGANIZATIONS
        else set(),
        "plans": {p.pk for p in plans} if audience == Audience.PLANS else set(),
    }
    component = Component.objects.filter(slug=slug).first()
    if component is None:
        component = Component.objects.create(slug=slug, status_since=at, created_at=at, **fields)
        StatusChange.objects.create(component=component, at=at, status=component.status)
        change = Change.CREATED
    else:
        change = _saved(component, fields, related)
    component.organizations.set(related["organizations"])
    component.plans.set(related["plans"])
    return component, change


def _set_status(
    component: Component,
    status: str,
    at: datetime,
    *,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
) -> None:
    StatusChange.objects.create(
        component=component, at=at, status=status, incident=incident, maintenance=maintenance
    )
    if at >= component.status_since:
        component.status, component.status_since = status, at
        component.save(update_fields=["status", "status_since", "revised_at"])


@writing()
def set_component_status(
    component: Component, status: str, *, actor: User, at: datetime | None = None
) -> Component:
    """An agent sets a component's status by hand, outside any incident."""
    _require_agent(actor)
    _set_status(component, _choice(status, ComponentStatus, "status"), at or timezone.now())
    return component


def _components(statuses: Mapping[str, str]) -> dict[Component, str]:
    """Components by key, with the status each is to take; unknown keys are refused."""
    keys = [slug for slug in statuses if slug_re.fullmatch(slug)]
    found = {c.slug: c for c in Component.objects.filter(slug__in=keys)}
    result = {}
    for slug, status in statuses.items():
        if slug not in found:
            raise StatusError(
                StatusErrorCode.UNKNOWN_COMPONENT,
                _("There is no component %(slug)s.") % {"slug": slug},
                f"components.{slug}",
            )
        result[found[slug]] = _choice(status, ComponentStatus, f"components.{slug}")
    return result


@writing()
def open_incident(
    *,
    name: str,
    impact: str,
    status: str,
    body: str,
    author: User,
    components: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    bodies: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Incident:
    """Declare an incident with its first update, setting the named components' statuses."""
    at = at or timezone.now()
    _require_agent(author)
    _choice(impact, Impact, "impact")
    incident = Incident.objects.create(
        name=name,
        names=dict(names or {}),
        impact=impact,
        status=IncidentStatus.INVESTIGATING,
        started_at=at,
        updated_at=at,
        created_by=author,
    )
    update_incident(
        incident,
        status=status,
        body=body,
        bodies=bodies,
        components=components,
        author=author,
        at=at,
    )
    incident.refresh_from_db()
    return incident


@writing()
def update_incident(
    incident: Incident,
    *,
    status: str,
    body: str,
    author: User,
    components: Mapping[str, str] | None = None,
    bodies: Mapping[str, str] | None = None,
    impact: str | None = None,
    answer_cases: bool = False,
    resolve_cases: bool = False,
    at: datetime | None = None,
) -> IncidentUpdate:
    """Post an update and set the components' statuses in the same step; ``resolved`` closes
    the incident. ``answer_cases`` posts it to every linked case as a public reply in each
    contact's language; ``resolve_cases`` (with ``resolved``) resolves them too."""
    _require_agent(author)
    return _post_update(
        incident,
        status=status,
        body=body,
        author=author,
        components=components,
        bodies=bodies,
        impact=impact,
        answer_cases=answer_cases,
        resolve_cases=resolve_cases,
        at=at or timezone.now(),
    )


def _post_update(
    incident: Incident,
    *,
    status: str,
    body: str,
    author: User | None,
    at: datetime,
    components: Mapping[str, str] | None = None,
    bodies: Mapping[str, str] | None = None,
    impact: str | None = None,
    answer_cases: bool = False,
    resolve_cases: bool = False,
) -> IncidentUpdate:
    """An update by an agent, or by a monitor (``author`` None)."""
    _choice(status, IncidentStatus, "status")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status == IncidentStatus.RESOLVED:
        raise StatusError(StatusErrorCode.RESOLVED, _("This incident is resolved."))
    wanted = _components(components or {})
    update = IncidentUpdate.objects.create(
        incident=incident,
        at=at,
        status=status,
        body=body,
        bodies=dict(bodies or {}),
        author=author,
        components={c.slug: s for c, s in wanted.items()},
    )
    for component, component_status in wanted.items():
        _set_status(component, component_status, at, incident=incident)
    incident.components.add(*wanted)
    incident.status, incident.updated_at = status, at
    if impact is not None:
        incident.impact = _choice(impact, Impact, "impact")
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = at
    if status == IncidentStatus.RESOLVED:
        incident.resolved_at = at
    incident.save()
    if answer_cases and author is not None:
        _answer_linked_cases(
            update, author, at, resolve=resolve_cases and status == IncidentStatus.RESOLVED
        )
    if incident.published:
        notify_subscribers(incident, update)
    return update


def _language(case: Case) -> str:
    contact = case.contact
    chosen = contact.language if contact is not None else ""
    if not chosen and contact is not None and contact.user is not None:
        chosen = contact.user.language
    return (chosen or settings.LANGUAGE_CODE)[:2]


def reply_text(update: IncidentUpdate, language: str) -> str:
    """What a linked case's contact reads: the incident, its state, the update's text."""
    with translation.override(language):
        heading = _("%(incident)s: %(status)s") % {
            "incident": update.incident.name_in(language),
            "status": IncidentStatus(update.status).label,
        }
    return f"{heading}\n\n{update.body_in(language)}"


def _answer_linked_cases(update: IncidentUpdate, author: User, at: datetime, resolve: bool) -> None:
    links = (
        CaseLink.objects.filter(incident=update.incident)
        .exclude(answered=update)
        .exclude(case__status=Status.CLOSED)
        .select_related("case__contact__user")
    )
    for link in links:
        case = link.case
        cases.post_reply(case, author=author, body=reply_text(update, _language(case)), at=at)
        if resolve:
            case.refresh_from_db(fields=["status"])
            if case.status in OPEN_STATUSES:
                cases.change_status(case, Status.RESOLVED, actor=author, at=at)
        link.answered = update
        link.save(update_fields=["answered"])


@writing()
def link_cases(
    incident: Incident, linked: Iterable[Case], *, actor: User, at: datetime | None = None
) -> int:
    """Link cases to the incident (again is a no-op); the number newly linked."""
    at = at or timezone.now()
    _require_agent(actor)
    existing = set(incident.case_links.values_list("case_id", flat=True))
    new = [
        CaseLink(incident=incident, case=case, linked_at=at, linked_by=actor)
        for case in {c.pk: c for c in linked}.values()
        if case.pk not in existing
    ]
    CaseLink.objects.bulk_create(new)
    if new:
        incident.save(update_fields=["revised_at"])
    return len(new)


@writing()
def report_under(
    incident: Incident, case: Case, *, reporter: User, at: datetime | None = None
) -> None:
    """A customer says their new case is about an ongoing incident they see: it is linked, so
    the incident's updates answer it like the cases agents link."""
    if not Case.objects.restrict(reporter).filter(pk=case.pk).exists():
        raise StatusError(StatusErrorCode.INVALID, _("This is not your case."))
    visible = Incident.objects.visible_to(reporter).filter(pk=incident.pk, published=True)
    if not visible.exclude(status=IncidentStatus.RESOLVED).exists():
        raise StatusError(StatusErrorCode.RESOLVED, _("This incident is over."))
    _link, created = CaseLink.objects.get_or_create(
        incident=incident,
        case=case,
        defaults={"linked_at": at or timezone.now(), "linked_by": reporter},
    )
    if created:
        incident.save(update_fields=["revised_at"])


def affected_organizations(incident: Incident, at: datetime) -> Q:
    """The organizations the incident's components concern: named ones, those whose plan in
    force is named, and everyone for a public component."""
    components = list(incident.components.prefetch_related("organizations", "plans"))
    if any(c.audience == Audience.PUBLIC for c in components):
        return Q()
    organizations = {o.pk for c in components for o in c.organizations.all()}
    plans = {p.pk for c in components for p in c.plans.all()}
    if plans:
        candidates = Contract.objects.filter(plan__in=plans).values_list("organization_id")
        for (organization,) in set(candidates):
            current = in_force(organization, at)
            if current is not None and current.plan_id in plans:
                organizations.add(organization)
    return Q(organization__in=organizations)


@writing()
def link_open_cases(
    incident: Incident, *, since: datetime, actor: User, at: datetime | None = None
) -> int:
    """Link every open case of the affected organizations received since ``since``."""
    at = at or timezone.now()
    found = Case.objects.filter(
        affected_organizations(incident, at), status__in=OPEN_STATUSES, received_at__gte=since
    )
    return link_cases(incident, found, actor=actor, at=at)


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime


@writing()
def schedule_maintenance(
    *,
    name: str,
    window: Window,
    body: str,
    author: User,
    components: Iterable[str] = (),
    names: Mapping[str, str] | None = None,
    bodies: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Maintenance:
    """Announce maintenance of the named components in a window."""
    at = at or timezone.now()
    _require_agent(author)
    if window.ends_at <= window.starts_at:
        raise StatusError(
            StatusErrorCode.INVALID, _("The window must end after it starts."), "ends_at"
        )
    wanted = _components(dict.fromkeys(components, ComponentStatus.UNDER_MAINTENANCE))
    maintenance = Maintenance.objects.create(
        name=name,
        names=dict(names or {}),
        status=MaintenanceStatus.SCHEDULED,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        created_at=at,
        updated_at=at,
        created_by=author,
    )
    maintenance.components.set(wanted)
    update = MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        at=at,
        status=MaintenanceStatus.SCHEDULED,
        body=body,
        bodies=dict(bodies or {}),
        author=author,
    )
    notify_subscribers(maintenance, update)
    return maintenance


@writing()
def update_maintenance(
    maintenance: Maintenance,
    *,
    status: str,
    body: str,
    author: User,
    bodies: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> MaintenanceUpdate:
    """Move maintenance on: in progress puts its components under maintenance, completed
    returns those still under maintenance to operational."""
    at = at or timezone.now()
    _require_agent(author)
    _choice(status, MaintenanceStatus, "status")
    maintenance = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
    if maintenance.status == MaintenanceStatus.COMPLETED:
        raise StatusError(StatusErrorCode.RESOLVED, _("This maintenance is completed."))
    update = MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        at=at,
        status=status,
        body=body,
        bodies=dict(bodies or {}),
        author=author,
    )
    for component in maintenance.components.all():
        if status == MaintenanceStatus.IN_PROGRESS:
            _set_status(component, ComponentStatus.UNDER_MAINTENANCE, at, maintenance=maintenance)
        elif (
            status == MaintenanceStatus.COMPLETED
            and component.status == ComponentStatus.UNDER_MAINTENANCE
        ):
            _set_status(component, ComponentStatus.OPERATIONAL, at, maintenance=maintenance)
    if status == MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
        maintenance.started_at = at
    if status == MaintenanceStatus.COMPLETED:
        maintenance.completed_at = at
    maintenance.status, maintenance.updated_at = status, at
    maintenance.save()
    notify_subscribers(maintenance, update)
    return update


# ---------------------------------------------------------------------- monitors' alerts

#: How far back an alert's own start time is believed (a clock that is off, a replayed alert).
ALERT_BACKDATE = timedelta(hours=6)


def _alert_instant(notice: alerts.AlertNotice, received: datetime) -> datetime:
    if notice.at is None or notice.at > received or notice.at < received - ALERT_BACKDATE:
        return received
    return notice.at


def receive_alerts(body: str, *, at: datetime | None = None) -> AlertDelivery:
    """A monitor's webhook: stored first (committed on its own), then each alert applied. A
    firing alert sets its component's status and opens a draft incident for an agent to
    publish (or joins the one already open for that component); its resolution restores the
    status it replaced."""
    at = at or timezone.now()
    delivery = _store_delivery(body, at)
    try:
        notices = alerts.read(json.loads(body))
    except (ValueError, alerts.AlertPayloadError) as error:
        delivery.outcome = {"error": str(error)}
        delivery.save(update_fields=["outcome"])
        raise StatusError(StatusErrorCode.INVALID, str(error)) from error
    return _apply_alerts(delivery, notices, at)


@writing()
def _store_delivery(body: str, at: datetime) -> AlertDelivery:
    return AlertDelivery.objects.create(received_at=at, body=body)


@writing()
def _apply_alerts(
    delivery: AlertDelivery, notices: list[alerts.AlertNotice | str], at: datetime
) -> AlertDelivery:
    applied, ignored = [], []
    known = {c.slug: c for c in Component.objects.filter(slug__in=_slugs(notices))}
    for notice in notices:
        if isinstance(notice, str):
            ignored.append(notice)
        elif notice.component not in known:
            ignored.append(_("There is no component %(slug)s.") % {"slug": notice.component})
        elif notice.firing:
            applied.append(_fire(notice, known[notice.component], _alert_instant(notice, at)))
        else:
            applied.append(_calm(notice, _alert_instant(notice, at)))
    delivery.outcome = {"applied": [a for a in applied if a], "ignored": ignored}
    delivery.save(update_fields=["outcome"])
    return delivery


def _slugs(notices: Iterable[alerts.AlertNotice | str]) -> list[str]:
    return [n.component for n in notices if not isinstance(n, str)]


def _fire(notice: alerts.AlertNotice, component: Component, at: datetime) -> str:
    alert = Alert.objects.select_for_update().filter(fingerprint=notice.fingerprint).first()
    if alert is not None and alert.firing:
        return ""
    component = Component.objects.select_for_update().get(pk=component.pk)
    incident = (
        Incident.objects.filter(alerts__component=component, alerts__firing=True)
        .exclude(status=IncidentStatus.RESOLVED)
        .first()
    )
    if incident is None:
        incident = Incident.objects.create(
            name=notice.name,
            impact=INDICATOR[notice.status],
            status=IncidentStatus.INVESTIGATING,
            started_at=at,
            updated_at=at,
            published=False,
        )
        _post_update(
            incident,
            status=IncidentStatus.INVESTIGATING,
            body=notice.text,
            components={component.slug: notice.status},
            author=None,
            at=at,
        )
    elif SEVERITY[notice.status] > SEVERITY[component.status]:
        _set_status(component, notice.status, at, incident=incident)
    fields = {
        "component": component,
        "name": notice.name,
        "severity": notice.severity,
        "status_set": notice.status,
        "status_before": (
            _status_before(component, incident) if alert is None else alert.status_before
        ),
        "incident": incident,
        "firing": True,
        "fired_at": at,
        "resolved_at": None,
    }
    Alert.objects.update_or_create(fingerprint=notice.fingerprint, defaults=fields)
    return notice.fingerprint


def _status_before(component: Component, incident: Incident) -> str:
    """The status the alert replaced: the component's latest status not set by this incident."""
    earlier = component.history.exclude(incident=incident).order_by("-at", "-pk").first()
    return earlier.status if earlier is not None else ComponentStatus.OPERATIONAL


def _calm(notice: alerts.AlertNotice, at: datetime) -> str:
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .filter(fingerprint=notice.fingerprint, firing=True)
        .select_related("component", "incident")
        .first()
    )
    if alert is None:
        return ""
    alert.firing, alert.resolved_at = False, at
    alert.save(update_fields=["firing", "resolved_at"])
    component = alert.component
    still = list(Alert.objects.filter(component=component, firing=True))
    if still:
        worst = max((a.status_set for a in still), key=SEVERITY.__getitem__)
        if worst != component.status:
            _set_status(component, worst, at, incident=alert.incident)
    elif component.status == alert.status_set:
        _set_status(component, alert.status_before, at, incident=alert.incident)
    incident = alert.incident
    if (
        incident is not None
        and not incident.published
        and not incident.alerts.filter(firing=True).exists()
    ):
        _post_update(
            incident,
            status=IncidentStatus.RESOLVED,
            body=_("The monitor reports the alert resolved."),
            author=None,
            at=at,
        )
    return notice.fingerprint


@writing()
def publish_incident(incident: Incident, *, actor: User, at: datetime | None = None) -> Incident:
    """An agent makes a monitor's draft incident public; subscribers hear of it then."""
    _require_agent(actor)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.published:
        return incident
    incident.published = True
    incident.save(update_fields=["published", "revised_at"])
    latest = incident.updates.order_by("-at", "-pk").first()
    if latest is not None:
        notify_subscribers(incident, latest)
    return incident


# ---------------------------------------------------------------------- email subscriptions

#: A pending subscription's confirmation is not sent again sooner than this.
CONFIRMATION_INTERVAL = timedelta(minutes=10)


@writing()
def subscribe(
    email: str,
    *,
    component: Component | None,
    user: User | None,
    language: str,
    at: datetime | None = None,
) -> Subscription:
    """Ask for updates by email: nothing is sent but the confirmation link until the address
    owner follows it. A component the subscriber may not see is refused as unknown."""
    at = at or timezone.now()
    email = email.strip().lower()
    if component is not None and not Component.objects.visible_to(user).filter(pk=component.pk):
        raise StatusError(StatusErrorCode.UNKNOWN_COMPONENT, _("There is no such component."))
    found = Subscription.objects.filter(email=email, component=component).first()
    if found is not None and found.confirmed_at is not None:
        return found
    if found is not None and found.created_at > at - CONFIRMATION_INTERVAL:
        return found
    if found is None:
        found = Subscription(email=email, component=component)
    found.user, found.language, found.created_at = user, language, at
    found.token = secrets.token_urlsafe(32)
    found.save()
    with translation.override(language):
        what = component.name_in(language) if component else _("every component you follow")
        body = _(
            "Someone asked for email updates about %(what)s on the service status page. "
            "To start receiving them, open this link:\n\n%(link)s\n\n"
            "If it was not you, ignore this message: nothing will be sent."
        ) % {"what": what, "link": _absolute(reverse("status_confirm", args=[found.token]))}
        outbox.queue(
            None,
            to=email,
            subject=_("Confirm your service status updates"),
            body=body,
            at=at,
            automatic=True,
        )
    return found


@writing()
def confirm_subscription(token: str, *, at: datetime | None = None) -> Subscription | None:
    found = Subscription.objects.filter(token=token).first()
    if found is not None and found.confirmed_at is None:
        found.confirmed_at = at or timezone.now()
        found.save(update_fields=["confirmed_at"])
    return found


@writing()
def unsubscribe(token: str) -> bool:
    deleted, _by_model = Subscription.objects.filter(token=token).delete()
    return bool(deleted)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _concerned(subscription: Subscription, components: set[int]) -> bool:
    """Whether a notice about these components (none: everyone) reaches this subscriber."""
    if subscription.component_id is not None:
        return subscription.component_id in components
    if not components:
        return True
    seen = Component.objects.visible_to(subscription.user).filter(pk__in=components)
    return seen.exists()


def notify_subscribers(
    notice: Incident | Maintenance, update: IncidentUpdate | MaintenanceUpdate
) -> int:
    """Queue the update for every confirmed subscriber it concerns, each in their language,
    with the way out in every message (a link and RFC 8058's one-click header)."""
    components = set(notice.components.values_list("pk", flat=True))
    sent = 0
    for subscription in Subscription.objects.filter(confirmed_at__isnull=False):
        if not _concerned(subscription, components):
            continue
        language = subscription.language
        leave = _absolute(reverse("status_unsubscribe", args=[subscription.token]))
        with translation.override(language):
            body = "\n\n".join(
                [
                    f"{notice.name_in(language)} · {update.get_status_display()}",
                    update.body_in(language),
                    _absolute(reverse("status")),
                    _("To stop these updates: %(link)s") % {"link": leave},
                ]
            )
            subject = f"[{_('Service status')}] {notice.name_in(language)}"
        outbox.queue(
            None,
            to=subscription.email,
            subject=subject,
            body=body,
            at=update.at,
            automatic=True,
            headers={
                "List-Unsubscribe": f"<{leave}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        sent += 1
    return sent
