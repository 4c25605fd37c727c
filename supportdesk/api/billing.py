"""The billing part of the REST API, mounted at ``/api/billing``: time entries, the timer, packs
and month statements. Thin: every write is a ``billing.services`` call; refusals keep the
services' stable codes in the API's ``{code, detail, field}`` shape."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from supportdesk.accounts.access import Action
from supportdesk.accounts.models import Organization, User
from supportdesk.api import errors
from supportdesk.api.auth import caller, require_agent
from supportdesk.api.paging import paged
from supportdesk.api.schemas import Id, Page, Slug
from supportdesk.billing import services
from supportdesk.billing.choices import EntrySource, PackKind
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.models import HourPack, TimeEntry, billed_organizations
from supportdesk.billing.periods import parse_month
from supportdesk.billing.render import as_dict
from supportdesk.billing.statement import build_statement
from supportdesk.tickets.models import Case

router = Router(tags=["billing"])

Note = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]
#: Hours of a pack: a decimal string above zero, six digits and two decimals at most. A string,
#: not a JSON number, so no cent is lost to binary floating point; the pattern is the whole rule.
Hours = Annotated[
    str,
    Field(
        pattern=r"^(?:[1-9][0-9]{0,5}(?:\.[0-9]{1,2})?|0\.(?:0[1-9]|[1-9][0-9]?))$",
        examples=["10", "1.5"],
    ),
]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-03"])]

#: HTTP status of each refusal: overlaps and timers conflict with the agent's other work; work
#: outside the case's life, and long work not confirmed, with the case and the clock.
STATUS = {
    BillingErrorCode.OVERLAP: 409,
    BillingErrorCode.BEFORE_RECEIPT: 409,
    BillingErrorCode.IN_FUTURE: 409,
    BillingErrorCode.LONG_ENTRY: 409,
    BillingErrorCode.TIMER_RUNNING: 409,
    BillingErrorCode.NO_TIMER: 409,
    BillingErrorCode.MONTH_CLOSED: 409,
    BillingErrorCode.MONTH_NOT_OVER: 409,
    BillingErrorCode.NOT_AN_AGENT: 403,
}
CONFLICT = {409: errors.Error}
CONFIRM_LONG = Field(
    False,
    description="Record it even though it is longer than a working day (8 h); without it, such "
    "an entry is refused with 409 `long_entry`.",
)


def _refused(error: BillingError) -> errors.ApiError:
    return errors.ApiError(STATUS.get(error.code, 400), error.code, error.message, error.field)


class TimeEntryIn(Schema):
    case_id: Id
    start: datetime = Field(description="Aware ISO 8601; seconds are dropped.")
    end: datetime
    billable: bool = True
    note: Note = ""
    by: str | None = Field(None, description="Email of the agent who worked (default: caller).")
    confirm_long: bool = CONFIRM_LONG


class TimeEntryChange(Schema):
    """What a correction may change; a field left out keeps its value."""

    start: datetime | None = Field(None, description="Aware ISO 8601; seconds are dropped.")
    end: datetime | None = None
    billable: bool | None = None
    note: Note | None = None
    confirm_long: bool = CONFIRM_LONG


class TimerIn(Schema):
    case_id: Id
    billable: bool = True
    note: Note = ""


class TimerStop(Schema):
    confirm_long: bool = CONFIRM_LONG


class TimeEntryOut(Schema):
    id: int
    case_id: int
    organization: str | None
    by: str
    start: datetime
    end: datetime | None
    billable: bool
    note: str
    source: EntrySource


class TimeEntryFilters(Schema):
    case_id: Id | None = None
    organization: Slug | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


class TimeEntryPage(Page):
    items: list[TimeEntryOut]


class PackIn(Schema):
    organization: Slug
    kind: PackKind
    hours: Hours
    purchased: date | None = None
    start_month: date | None = None
    end_month: date | None = None


class PackOut(Schema):
    id: int
    organization: str
    kind: PackKind
    hours: str
    purchased: date | None
    start_month: date | None
    end_month: date | None


def _entry(entry: TimeEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "case_id": entry.case_id,
        "organization": entry.organization.slug if entry.organization else None,
        "by": entry.agent.email,
        "start": entry.start,
        "end": entry.end,
        "billable": entry.billable,
        "note": entry.note,
        "source": entry.source,
    }


def _pack(pack: HourPack) -> dict[str, Any]:
    return {
        "id": pack.pk,
        "organization": pack.organization.slug,
        "kind": pack.kind,
        "hours": str(pack.hours),
        "purchased": pack.purchased,
        "start_month": pack.start_month,
        "end_month": pack.end_month,
    }


def _agent(email: str | None, user: User) -> User:
    if email is None:
        return user
    agent = User.objects.filter(email__iexact=email.strip(), agent__isnull=False).first()
    if agent is None:
        raise errors.unknown("by", _("No agent with that email."))
    return agent


# ---------------------------------------------------------------------------- entries


@router.get("/time-entries", response={200: TimeEntryPage, **errors.READ})
def list_time_entries(request: HttpRequest, filters: Query[TimeEntryFilters]) -> dict:
    """Agents: every entry; customer administrators: their organization's."""
    rows = TimeEntry.objects.visible_to(caller(request)).select_related("agent", "organization")
    if filters.case_id is not None:
        rows = rows.filter(case_id=filters.case_id)
    if filters.organization is not None:
        rows = rows.filter(organization__slug=filters.organization)
    return paged(rows.order_by("start", "id"), filters, _entry)


@router.post("/time-entries", response={201: TimeEntryOut, **errors.WRITE_ONE, **CONFLICT})
def record_time(request: HttpRequest, payload: TimeEntryIn) -> HttpStatus[dict]:
    """Record finished work. 409 with a code naming the rule: ``overlap`` (it meets another
    entry of the same agent), ``before_receipt`` (it starts before the case was received),
    ``in_future`` (it ends more than 5 minutes from now), ``long_entry`` (longer than a working
    day and not ``confirm_long``), ``month_closed``."""
    user = caller(request)
    require_agent(user)
    case = Case.objects.restrict(user, Action.CHANGE).filter(pk=payload.case_id).first()
    if case is None:
        raise errors.unknown("case_id", _("No case with that id."))
    try:
        entry = services.record_work(
            case,
            _agent(payload.by, user),
            payload.start,
            payload.end,
            payload.billable,
            payload.note,
            source=EntrySource.API,
            confirm_long=payload.confirm_long,
        )
    except BillingError as error:
        raise _refused(error) from None
    return HttpStatus(201, _entry(entry))


@router.patch(
    "/time-entries/{entry_id}", response={200: TimeEntryOut, **errors.WRITE_ONE, **CONFLICT}
)
def change_time_entry(
    request: HttpRequest, entry_id: Id, payload: TimeEntryChange
) -> HttpStatus[dict]:
    """Correct a finished entry; the same refusals as recording it (409 ``overlap``,
    ``before_receipt``, ``in_future``, ``long_entry``, ``month_closed``)."""
    user = caller(request)
    require_agent(user)
    entry = _entry_to_change(user, entry_id)
    try:
        entry = services.change_entry(
            entry,
            actor=user,
            start=payload.start,
            end=payload.end,
            billable=payload.billable,
            note=payload.note,
            confirm_long=payload.confirm_long,
        )
    except BillingError as error:
        raise _refused(error) from None
    return HttpStatus(200, _entry(entry))


def _entry_to_change(user: User, entry_id: int) -> TimeEntry:
    entries = TimeEntry.objects.restrict(user, Action.CHANGE).select_related("agent")
    entry = entries.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    return entry


@router.delete("/time-entries/{entry_id}", response={204: None, **errors.WRITE_ONE})
def delete_time_entry(request: HttpRequest, entry_id: Id) -> HttpStatus[None]:
    user = caller(request)
    require_agent(user)
    entry = _entry_to_change(user, entry_id)
    services.delete_entry(entry, actor=user)
    return HttpStatus(204, None)


@router.post("/timer/start", response={201: TimeEntryOut, **errors.WRITE_ONE, **CONFLICT})
def start_timer(request: HttpRequest, payload: TimerIn) -> HttpStatus[dict]:
    user = caller(request)
    require_agent(user)
    case = Case.objects.restrict(user, Action.CHANGE).filter(pk=payload.case_id).first()
    if case is None:
        raise errors.unknown("case_id", _("No case with that id."))
    try:
        entry = services.start_timer(case, user, payload.billable, payload.note)
    except BillingError as error:
        raise _refused(error) from None
    return HttpStatus(201, _entry(entry))


@router.post("/timer/stop", response={200: TimeEntryOut, **errors.WRITE, **CONFLICT})
def stop_timer(request: HttpRequest, params: Query[TimerStop]) -> dict:
    """Stop the caller's timer (409 ``no_timer``; ``long_entry`` when it ran longer than a
    working day, unless ``confirm_long``)."""
    user = caller(request)
    require_agent(user)
    try:
        return _entry(services.stop_timer(user, confirm_long=params.confirm_long))
    except BillingError as error:
        raise _refused(error) from None


# ---------------------------------------------------------------------------- packs


@router.get("/packs", response={200: list[PackOut], **errors.READ})
def list_packs(request: HttpRequest, organization: Slug | None = None) -> list[dict]:
    packs = HourPack.objects.filter(organization__in=billed_organizations(caller(request)))
    if organization is not None:
        packs = packs.filter(organization__slug=organization)
    return [_pack(p) for p in packs.select_related("organization").order_by("pk")]


@router.post("/packs", response={201: PackOut, **errors.WRITE_ONE})
def add_pack(request: HttpRequest, payload: PackIn) -> HttpStatus[dict]:
    """Sell a pack. The same single pack (purchase date) or monthly pack (first month) sent
    again updates its hours rather than selling it twice."""
    user = caller(request)
    require_agent(user)
    organization = billed_organizations(user).filter(slug=payload.organization).first()
    if organization is None:
        raise errors.unknown("organization", _("No organization with that key."))
    try:
        pack = services.add_pack(
            organization,
            kind=payload.kind,
            hours=Decimal(payload.hours),
            purchased=payload.purchased,
            start_month=payload.start_month,
            end_month=payload.end_month,
        )
    except BillingError as error:
        raise _refused(error) from None
    return HttpStatus(201, _pack(pack))


# ---------------------------------------------------------------------------- statements


class StatementEntryOut(Schema):
    case: str
    by: str
    start: str = Field(description="ISO 8601 in the plan's time zone, with its offset.")
    end: str
    in_hours_minutes: int
    out_of_hours_minutes: int
    billed_in_hours_minutes: int
    billed_out_of_hours_minutes: int
    billable: bool
    long_entry: bool = Field(
        description="Longer than a working day (8 h): an outlier to check before billing it."
    )


class DrawnOut(Schema):
    monthly: int
    single: int
    credit: int


class OverageOut(Schema):
    in_hours_minutes: int
    out_of_hours_minutes: int
    amount: str = Field(description="Decimal, each line rounded half up to the cent.")


class SingleBalanceOut(Schema):
    purchased: str
    expires: str
    hours_left: str


class BalancesOut(Schema):
    single: list[SingleBalanceOut]
    credit_hours: str


class LapsedSingleOut(Schema):
    purchased: str
    expires: str
    hours: str


class LapsedOut(Schema):
    monthly_hours: str
    single: list[LapsedSingleOut]


class StatementOut(Schema):
    org: str
    month: str
    currency: str
    entries: list[StatementEntryOut]
    drawn: DrawnOut
    overage: OverageOut
    balances: BalancesOut
    lapsed: LapsedOut


@router.get(
    "/statements/{organization}/{month}",
    response={200: StatementOut, **errors.READ_ONE, 400: errors.Error},
)
def get_statement(request: HttpRequest, organization: Slug, month: Month) -> dict:
    """The month's statement in the shape of ``supportdesk statement --json``."""
    org = billed_organizations(caller(request)).filter(slug=organization).first()
    if org is None:
        raise Http404
    try:
        return as_dict(build_statement(org, parse_month(month)))
    except BillingError as error:
        raise _refused(error) from None


class ClosedMonthOut(Schema):
    org: str
    month: str
    closed_at: datetime
    closed_by: str | None


def _billed_organization(request: HttpRequest, slug: str) -> Organization:
    user = caller(request)
    require_agent(user)
    org = billed_organizations(user).filter(slug=slug).first()
    if org is None:
        raise Http404
    return org


@router.post(
    "/statements/{organization}/{month}/close",
    response={201: ClosedMonthOut, **errors.WRITE_ONE, **CONFLICT},
)
def close_month(request: HttpRequest, organization: Slug, month: Month) -> HttpStatus[dict]:
    """Fix the month's time once its statement is sent (409 ``month_not_over``,
    ``month_closed``, or ``timer_running``); entries in it are then refused with 409."""
    org = _billed_organization(request, organization)
    try:
        closed = services.close_month(org, parse_month(month), actor=caller(request))
    except BillingError as error:
        raise _refused(error) from None
    body = {
        "org": org.slug,
        "month": f"{closed.month:%Y-%m}",
        "closed_at": closed.closed_at,
        "closed_by": closed.closed_by.email if closed.closed_by else None,
    }
    return HttpStatus(201, body)


@router.delete("/statements/{organization}/{month}/close", response={204: None, **errors.WRITE_ONE})
def reopen_month(request: HttpRequest, organization: Slug, month: Month) -> HttpStatus[None]:
    """Reopen a closed month to correct its time (400 when it is not closed)."""
    org = _billed_organization(request, organization)
    try:
        services.reopen_month(org, parse_month(month), actor=caller(request))
    except BillingError as error:
        raise _refused(error) from None
    return HttpStatus(204, None)
