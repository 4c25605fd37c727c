"""Cases over HTTP: thin calls into ``tickets.services``, reads that cost a constant number of
queries, and visibility through ``Case.objects.visible_to`` (an invisible case is a 404)."""

from collections.abc import Sequence
from typing import Literal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from supportdesk.accounts.access import works_the_desk
from supportdesk.accounts.models import Contact, Organization, Team, User
from supportdesk.accounts.services import InvalidAddress, normalize_address
from supportdesk.api import errors
from supportdesk.api.auth import caller, require_agent, via_token
from supportdesk.api.errors import FieldInvalid, forbidden, unknown
from supportdesk.api.schemas import (
    MAX_LIMIT,
    MAX_OFFSET,
    Address,
    CaseChangeIn,
    CaseClocksOut,
    CaseDetailOut,
    CaseIn,
    CasePage,
    Id,
    MessageIn,
    MessageOut,
    Slug,
)
from supportdesk.tickets import attachments, queue, services
from supportdesk.tickets.choices import Channel, MessageKind, Priority, Status
from supportdesk.tickets.models import Attachment, Case, Event, Message, SlaClock

router = Router(tags=["cases"])


class CaseFilters(Schema):
    status: Status | None = None
    priority: Priority | None = None
    channel: Channel | None = None
    organization: Slug | None = Field(None, description="Organization slug.")
    assignee: Address | None = Field(None, description="Assignee's email.")
    breached: bool | None = Field(None, description="Whether any clock of the case breached.")
    covered: bool | None = None
    order: Literal["next_due", "-received_at", "-updated_at"] = Field(
        "next_due", description="next_due: the queue, earliest due first, cases without a due last."
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _breached() -> Exists:
    return Exists(SlaClock.objects.filter(case=OuterRef("pk"), breached_at__isnull=False))


def _listed(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """A list page's rows; their breach flags come after, in one query for the page (as a
    per-row EXISTS, PostgreSQL hashes every clock of every case: 50 ms at a million cases)."""
    return queryset.select_related("organization", "assignee", "team", "plan", "asset")


def _breached_ids(cases: list[Case]) -> set[int]:
    """Which of these cases have a breached clock, in one query for the page."""
    return set(
        SlaClock.objects.filter(
            case_id__in=[c.pk for c in cases], breached_at__isnull=False
        ).values_list("case_id", flat=True)
    )


def _summary(case: Case, breached: bool) -> dict:
    return {
        "id": case.pk,
        "reference": case.reference,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "level": case.level,
        "organization": case.organization.slug if case.organization else None,
        "requester": case.requester_address,
        "assignee": case.assignee.email if case.assignee else None,
        "team": case.team.slug if case.team else None,
        "plan": case.plan.slug if case.plan else None,
        "asset": case.asset.serial if case.asset else None,
        "covered": case.covered,
        "coverage": case.coverage_reason,
        "breached": breached,
        "received_at": case.received_at,
        "updated_at": case.updated_at,
        "next_due": case.next_due,
    }


def _message(message: Message) -> dict:
    author = message.author
    return {
        "id": message.pk,
        "at": message.at,
        "kind": message.kind,
        "author": (author.name or author.email) if author else None,
        "from_address": message.from_address,
        "body": message.body,
        "attachments": [_attachment(a) for a in message.attachments.all()],
    }


def _attachment(attachment: Attachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": reverse(
            "api:download_attachment",
            kwargs={"case_id": attachment.case_id, "attachment_id": attachment.pk},
        ),
    }


def _clock(clock: SlaClock) -> dict:
    return {
        "metric": clock.metric,
        "rule": clock.rule,
        "guaranteed": clock.guaranteed,
        "started_at": clock.started_at,
        "due": clock.due_at,
        "met_at": clock.met_at,
        "breached": clock.breached,
        "breached_at": clock.breached_at,
        "paused": clock.paused_since is not None,
    }


def _with_clocks(case: Case, clocks: Sequence[SlaClock]) -> dict:
    return {
        **_summary(case, any(c.breached_at is not None for c in clocks)),
        "coverage_detail": {
            "covered": case.covered,
            "code": case.coverage_code,
            "reason": case.coverage_reason,
        },
        "clocks": [_clock(c) for c in clocks],
    }


def _detail(user: User, case_id: int) -> dict:
    """The case with its clocks, conversation, files and (for agents) history: five queries."""
    agent = works_the_desk(user)
    messages = Message.objects.select_related("author")
    if not agent:
        messages = messages.exclude(kind=MessageKind.NOTE)
    prefetch: list[str | Prefetch] = [
        Prefetch("clocks", SlaClock.objects.order_by("metric")),
        Prefetch("messages", messages.order_by("at", "id")),
        "messages__attachments",
    ]
    if agent:
        prefetch.append(Prefetch("events", Event.objects.select_related("actor")))
    case = (
        _listed(Case.objects.visible_to(user))
        .prefetch_related(*prefetch)
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return {
        **_with_clocks(case, list(case.clocks.all())),
        "messages": [_message(m) for m in case.messages.all()],
        "events": [
            {
                "id": e.pk,
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor.email if e.actor else None,
                "before": e.before,
                "after": e.after,
            }
            for e in case.events.all()
        ]
        if agent
        else None,
    }


def _visible_case(user: User, case_id: int) -> Case:
    case = Case.objects.visible_to(user).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


COUNT_CAP = 10_000


@router.get("", response={200: CasePage, **errors.READ})
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict:
    """The queue: filtered and paginated in the database, in a few queries whatever the size."""
    user = caller(request)
    cases = Case.objects.visible_to(user)
    for name in ("status", "priority", "channel", "covered"):
        value = getattr(filters, name)
        if value is not None:
            cases = cases.filter(**{name: value})
    if filters.organization is not None:
        cases = cases.filter(organization__slug=filters.organization)
    if filters.assignee is not None:
        cases = cases.filter(assignee__email=filters.assignee.strip().lower())
    if filters.breached is not None:
        cases = cases.filter(_breached() if filters.breached else ~_breached())
    if filters.order == "next_due":
        page = queue.by_next_due(_listed(cases), filters.offset, filters.limit)
    else:
        ordered = _listed(cases.order_by(filters.order, "-id"))
        page = list(ordered[filters.offset : filters.offset + filters.limit])
    breached = _breached_ids(page)
    # Counting a million rows costs PostgreSQL 100 ms; past COUNT_CAP the exact figure is noise.
    counted = cases.order_by()[: COUNT_CAP + 1].count()
    return {
        "count": min(counted, COUNT_CAP),
        "count_exact": counted <= COUNT_CAP,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_summary(c, c.pk in breached) for c in page],
    }


@router.post("", response={201: CaseClocksOut, **errors.OPEN})
def create_case(request: HttpRequest, response: HttpResponse, payload: CaseIn) -> HttpStatus[dict]:
    """Customers open their own cases; agents open one on behalf of a requester.

    Answers with the coverage decision and the clocks it started (the conversation and history
    are at the ``Location``); the hot path of every integration, so it re-reads only the clocks.
    """
    user = caller(request)
    default_channel = Channel.API if via_token(request) else Channel.WEB
    if user.is_agent:
        case = _open_for_requester(user, payload, default_channel)
    else:
        case = _open_as_customer(user, payload, default_channel)
    clocks = sorted(SlaClock.objects.filter(case=case), key=lambda c: c.metric)
    response["Location"] = f"{request.path.rstrip('/')}/{case.pk}"
    return HttpStatus(201, _with_clocks(case, clocks))


def _open_for_requester(user: User, payload: CaseIn, channel: str) -> Case:
    """On behalf of the requester; without one (a proactive case) it carries no guarantee."""
    sender = _address(payload.requester, "requester") if payload.requester else ""
    via = _address(payload.received_via, "received_via") if payload.received_via else ""
    organization = None
    if payload.organization:
        organization = (
            Organization.objects.visible_to(user).filter(slug=payload.organization).first()
        )
        if organization is None:
            raise unknown("organization", _("No organization has this key."))
    return services.open_case(
        subject=payload.subject,
        body=payload.body,
        channel=payload.channel or channel,
        priority=payload.priority,
        sender=sender,
        organization=organization,
        received_via=via,
        actor=user,
        brand=user.agent.brand,
    )


def _address(value: str, field: str) -> str:
    """Normalised email or E.164 number. A number the numbering plan does not know is kept as
    its digits: the case is still received, under no plan, rather than refused."""
    try:
        address = normalize_address(value)[1]
        if len(address) > 254:  # lower-casing can lengthen some letters
            raise InvalidAddress(value)
        return address
    except InvalidAddress:
        if value.startswith("+"):
            return "+" + "".join(c for c in value if c.isdigit())
        raise FieldInvalid(
            field, _("Not an email address or an international phone number.")
        ) from None


def _open_as_customer(user: User, payload: CaseIn, channel: str) -> Case:
    contact = user.contact_or_none
    if contact is None:
        raise forbidden(_("Only agents and customer contacts can open cases."))
    if payload.organization and payload.organization != contact.organization.slug:
        raise forbidden(_("You can only open cases for your own organization."), "organization")
    if payload.requester and not _is_own_address(contact, payload.requester):
        raise forbidden(_("You can only open cases as yourself."), "requester")
    if payload.received_via:
        raise forbidden(_("Only agents record where a case came in."), "received_via")
    if payload.channel and payload.channel != channel:
        raise forbidden(_("Only agents record the channel of a case."), "channel")
    return services.open_case(
        subject=payload.subject,
        body=payload.body,
        channel=channel,
        priority=payload.priority,
        contact=contact,
        actor=user,
        entitled_only=True,
    )


def _is_own_address(contact: Contact, address: str) -> bool:
    try:
        value = normalize_address(address)[1]
    except InvalidAddress:
        return False
    return contact.addresses.filter(value=value).exists()


@router.get("/{case_id}", response={200: CaseDetailOut, **errors.READ_ONE})
def get_case(request: HttpRequest, case_id: Id) -> dict:
    """Clocks and public messages for everyone who sees the case; notes and events for agents."""
    return _detail(caller(request), case_id)


@router.patch("/{case_id}", response={200: CaseDetailOut, **errors.WRITE_ONE, 409: errors.Error})
def change_case(request: HttpRequest, case_id: Id, payload: CaseChangeIn) -> dict:
    """Agents route and move a case; all changes land together or not at all."""
    user = caller(request)
    case = _visible_case(user, case_id)
    require_agent(user)
    assignee = team = None
    if payload.assignee is not None:
        assignee = User.objects.filter(
            email=payload.assignee.strip().lower(), agent__isnull=False
        ).first()
        if assignee is None:
            raise unknown("assignee", _("No agent has this email address."))
    if payload.team is not None:
        team = Team.objects.filter(slug=payload.team).first()
        if team is None:
            raise unknown("team", _("No team has this key."))
    changes = services.CaseChanges(
        priority=payload.priority,
        assignee=assignee,
        team=team,
        level=payload.level,
        status=payload.status,
    )
    case = services.update_case(case, changes, actor=user)
    return _detail(user, case.pk)


@router.post(
    "/{case_id}/replies", response={201: MessageOut, **errors.WRITE_ONE, 409: errors.Error}
)
def reply_to_case(request: HttpRequest, case_id: Id, payload: MessageIn) -> HttpStatus[dict]:
    """A public message: from an agent it answers the customer, from a customer it follows up."""
    user = caller(request)
    case = _visible_case(user, case_id)
    if user.is_agent:
        message = services.post_reply(case, author=user, body=payload.body)
    else:
        contact = user.contact_or_none
        if contact is None:
            raise forbidden()
        message = services.add_customer_message(
            case, body=payload.body, contact=contact, sender=user.email
        )
    return HttpStatus(201, _message(message))


@router.post("/{case_id}/notes", response={201: MessageOut, **errors.WRITE_ONE, 409: errors.Error})
def add_note(request: HttpRequest, case_id: Id, payload: MessageIn) -> HttpStatus[dict]:
    """An internal note: agents only, never shown to customers, meets no clock."""
    user = caller(request)
    case = _visible_case(user, case_id)
    require_agent(user)
    message = services.post_reply(case, author=user, body=payload.body, public=False)
    return HttpStatus(201, _message(message))


_FILE = {
    "description": "The file, as a download named in its Content-Disposition (RFC 6266).",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@router.get(
    "/{case_id}/attachments/{attachment_id}",
    response=errors.READ_ONE,
    url_name="download_attachment",
    openapi_extra={"responses": {200: _FILE}},
)
def download_attachment(request: HttpRequest, case_id: Id, attachment_id: Id) -> FileResponse:
    """A file of the case's conversation, to whoever may read its message (an internal
    note's: agents only)."""
    attachment = (
        Attachment.objects.visible_to(caller(request))
        .filter(case_id=case_id, pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise Http404
    return attachments.download(attachment, content_type="application/octet-stream")
