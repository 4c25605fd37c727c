"""The only write path for request types and requests.

A submitted request is a case (so agents work it from the queue, under the plan's clocks) with
its form's values, its files as the case's attachments, a checklist for the agents and the
milestones the type promises, each a clock on the case counted in business days on the
organization's calendar.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.choices import ADMIN_ROLES, ContactRole
from supportdesk.accounts.models import Brand, Contact, User
from supportdesk.db import writing
from supportdesk.plans.models import BusinessCalendar, kernel_for
from supportdesk.plans.services import Change
from supportdesk.service_requests import display
from supportdesk.service_requests.choices import MILESTONES, FieldType, RequestErrorCode, Who
from supportdesk.service_requests.definitions import (
    Problems,
    clean_values,
    parse_checklist,
    parse_fields,
    parse_targets,
)
from supportdesk.service_requests.letter import Letter, letter_pdf
from supportdesk.service_requests.models import RequestType, ServiceRequest
from supportdesk.tickets import attachments
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import Channel
from supportdesk.tickets.errors import CaseError, CaseErrorCode

#: The channels a person submits a request through.
SUBMISSION_CHANNELS = (Channel.WEB, Channel.API)


class RequestError(Exception):
    """A refused submission: ``code`` says why, ``field`` which field (the first, when there
    are several), ``problems`` every field's problem."""

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        problems: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        self.problems = dict(problems or {})


# ----------------------------------------------------------------------------- types


@writing()
def save_request_type(
    slug: str,
    *,
    names: Mapping[str, str],
    who: str,
    descriptions: Mapping[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None,
    checklist: list[dict[str, str]] | None = None,
    targets: Mapping[str, Any] | None = None,
    brand: Brand | None = None,
    position: int = 0,
    active: bool = True,
) -> tuple[RequestType, Change]:
    """Create or reconfigure a request type (``DefinitionError`` for a definition that cannot
    be used). Requests already submitted keep the checklist and dates they were given."""
    if who not in Who.values:
        raise ValueError(f"unknown who {who!r}")
    values = {
        "names": dict(names),
        "descriptions": dict(descriptions or {}),
        "who": who,
        "fields": [d.as_json() for d in parse_fields(fields or [])],
        "checklist": parse_checklist(checklist or []),
        "targets": {m: list(days) for m, days in parse_targets(targets or {}).items()},
        "brand": brand,
        "position": position,
        "active": active,
    }
    request_type = RequestType.objects.filter(slug=slug).first()
    if request_type is None:
        return RequestType.objects.create(slug=slug, **values), Change.CREATED
    changed = any(getattr(request_type, key) != value for key, value in values.items())
    if changed:
        for key, value in values.items():
            setattr(request_type, key, value)
        request_type.save()
    return request_type, Change.UPDATED if changed else Change.UNCHANGED


def refusal(contact: Contact | None, request_type: RequestType) -> str | None:
    """Why this person may not submit this type; ``None`` when they may."""
    if contact is None:
        return _("Only the people of a customer organization submit requests.")
    organization = contact.organization
    offered = request_type.active and request_type.brand_id in (None, organization.brand_id)
    if not offered:
        return _("%(type)s is not offered to your organization.") % {"type": request_type.name}
    if request_type.who == Who.OWNER and contact.role != ContactRole.OWNER:
        return _("Only the owner of %(organization)s's account can submit %(type)s requests.") % {
            "organization": organization.name,
            "type": request_type.name,
        }
    if request_type.who == Who.ADMINS and contact.role not in ADMIN_ROLES:
        return _("Only your organization's administrators can submit %(type)s requests.") % {
            "type": request_type.name
        }
    return None


def submittable(contact: Contact) -> list[RequestType]:
    """The request types this person may submit, in the provider's order."""
    offered = RequestType.objects.visible_to(contact.user) if contact.user else []
    return [t for t in offered if refusal(contact, t) is None]


# ----------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class Promised:
    """A milestone's promise: the close of the ``low``-th to the ``high``-th business day after
    the submission's local date, on the organization's calendar."""

    metric: str
    low: int
    high: int
    start: datetime
    end: datetime
    zone: str

    def local(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.zone)).date()

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.local(self.start).isoformat(),
            "to": self.local(self.end).isoformat(),
            "from_at": self.start.astimezone(UTC).isoformat(),
            "to_at": self.end.astimezone(UTC).isoformat(),
            "business_days": [self.low, self.high],
        }


def promise(
    calendar: BusinessCalendar | None, at: datetime, metric: str, days: tuple[int, int]
) -> Promised:
    kernel = kernel_for(calendar)
    low, high = days
    return Promised(
        metric,
        low,
        high,
        kernel.close_of_business_day(at, low),
        kernel.close_of_business_day(at, high),
        calendar.timezone if calendar is not None else "UTC",
    )


def organization_calendar(contact: Contact, channel: str, at: datetime) -> BusinessCalendar | None:
    """The business days a request counts: its contract's region, else its plan's."""
    return cases.decide_coverage(
        organization=contact.organization,
        contact=contact,
        channel=channel,
        received_via="",
        at=at,
    ).calendar


# ----------------------------------------------------------------------------- submitting


def _check(contact: Contact | None, request_type: RequestType) -> Contact:
    reason = refusal(contact, request_type)
    if reason is not None or contact is None:
        raise RequestError(RequestErrorCode.NOT_ALLOWED, reason or "")
    return contact


def submit_request(
    request_type: RequestType,
    *,
    contact: Contact | None,
    values: Mapping[str, Any],
    files: Mapping[str, Any],
    channel: str,
    actor: User | None,
    address: str = "",
    at: datetime | None = None,
) -> ServiceRequest:
    """Check the submission in full (who, every field, every file) before anything is stored,
    then open the case, store the files and the signed letter, start the milestones.

    ``address``: where the submission came from (recorded with a signature).
    """
    at = at or timezone.now()
    if channel not in SUBMISSION_CHANNELS:
        raise ValueError(f"requests are submitted on the web or the API, not {channel!r}")
    contact = _check(contact, request_type)
    definitions = request_type.definitions()
    calendar = organization_calendar(contact, channel, at)
    zone = ZoneInfo(calendar.timezone) if calendar is not None else UTC
    cleaned, problems = clean_values(definitions, values, files, today=at.astimezone(zone).date())
    signatures = [d for d in definitions if d.type == FieldType.SIGNATURE]
    signed = [d for d in signatures if d.key in cleaned.values]
    if signed and contact.role != ContactRole.OWNER:
        raise RequestError(
            RequestErrorCode.NOT_ALLOWED,
            _("Only the owner of %(organization)s's account can sign %(field)s.")
            % {"organization": contact.organization.name, "field": signed[0].label_text},
            signed[0].key,
        )
    if problems:
        _refuse(problems)
    promised = [promise(calendar, at, m, days) for m, days in request_type.milestones().items()]
    stored = dict(cleaned.values)
    for definition in signed:
        stored[definition.key] = {
            **cleaned.values[definition.key],
            "signed_at": at.astimezone(UTC).isoformat(),
            "ip": address,
        }
    for key, (upload, _mime) in cleaned.files.items():
        stored[key] = {"name": attachments.clean_name(upload.name or key)}
    # Rendered before the transaction: the writers' queue is held for the inserts alone.
    letters = {
        definition.key: letter_pdf(
            Letter(
                organization=contact.organization,
                request_name=request_type.name,
                signer=stored[definition.key]["name"],
                signed_at=at.astimezone(zone),
                address=address,
                facts=display.letter_facts(definitions, stored),
            )
        )
        for definition in signed
    }
    with writing():
        case = cases.open_case(
            subject=request_type.name,
            body=display.summary(definitions, stored),
            channel=channel,
            contact=contact,
            actor=actor,
            at=at,
        )
        message = case.messages.earliest("id")
        for key, (upload, mime) in cleaned.files.items():
            stored[key] = _stored(
                attachments.store_file(
                    message, upload, name=upload.name or key, content_type=mime, at=at
                )
            )
        for key, pdf in letters.items():
            letter = attachments.store_file(
                message,
                ContentFile(pdf),
                name=f"{request_type.slug}-{key}-{case.pk}.pdf",
                content_type="application/pdf",
                at=at,
            )
            stored[key]["attachment"] = letter.pk
        request = ServiceRequest.objects.create(
            case=case,
            request_type=request_type,
            submitted_by=contact,
            submitted_at=at,
            values=stored,
            checklist=[
                {"item": item, "done_at": None, "done_by": None}
                for item in request_type.checklist_items()
            ],
            promised={p.metric: p.as_json() for p in promised},
        )
        for milestone in promised:
            cases.start_clock(
                case,
                milestone.metric,
                actor=actor,
                at=at,
                promise=cases.Promise(
                    rule=_rule(request_type, milestone),
                    calendar=calendar,
                    business_days=milestone.high,
                    guaranteed=case.covered,
                ),
            )
    return request


def _refuse(problems: Problems) -> None:
    key, message = next(iter(problems.items()))
    raise RequestError(RequestErrorCode.INVALID, message, key, problems)


def _stored(attachment) -> dict[str, Any]:
    return {
        "attachment": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
    }


def _rule(request_type: RequestType, milestone: Promised) -> str:
    days = (
        str(milestone.high)
        if milestone.low == milestone.high
        else f"{milestone.low}-{milestone.high}"
    )
    return f"{request_type.slug}: {milestone.metric} {days} business days"


# ----------------------------------------------------------------------------- working it


def _require_agent(user: User) -> None:
    if not user.is_agent:
        raise CaseError(CaseErrorCode.NOT_AN_AGENT, _("Only agents can do this."))


@writing()
def tick(
    request: ServiceRequest, index: int, *, done: bool, actor: User, at: datetime | None = None
) -> ServiceRequest:
    """Tick (or untick) one item of the agents' checklist, recording who and when."""
    at = at or timezone.now()
    _require_agent(actor)
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if not 0 <= index < len(request.checklist):
        raise CaseError(CaseErrorCode.INVALID, _("The checklist has no such item."), "item")
    item = request.checklist[index]
    if bool(item["done_at"]) == done:
        return request
    item["done_at"] = at.astimezone(UTC).isoformat() if done else None
    item["done_by"] = (actor.name or actor.email) if done else None
    request.save(update_fields=["checklist"])
    return request


def meet_milestone(
    request: ServiceRequest, metric: str, *, actor: User, at: datetime | None = None
) -> bool:
    """The customer was told the request is confirmed, or it is done: its clock is met."""
    _require_agent(actor)
    if metric not in MILESTONES or metric not in request.promised:
        raise CaseError(CaseErrorCode.INVALID, _("This request promises no such milestone."))
    return cases.meet_clock(request.case, metric, actor=actor, at=at)
