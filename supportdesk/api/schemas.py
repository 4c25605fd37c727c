"""Request and response shapes; what the OpenAPI document promises and schemathesis holds us to.

Text fields refuse NUL characters and lone surrogates in the schema itself, so the database (which
cannot store them) never sees them and the document says so; single-line fields (a subject, a
name, an address) refuse every control character, a line break included.
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, ConfigDict

from supportdesk.accounts.choices import AgentLevel, ContactRole
from supportdesk.plans.choices import Metric
from supportdesk.tickets import text
from supportdesk.tickets.choices import Channel, EventKind, Level, MessageKind, Priority, Status

#: Largest id SQLite and PostgreSQL bigint accept; larger path ids are a 422, never an overflow.
MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
MAX_LIMIT = 100
NO_NUL = r"^[^\x00]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"
#: Controls and every character Python counts as whitespace, spelt out: ``\s`` means different
#: things to JSON Schema (ECMA), pydantic (Rust) and Python, and the three must agree.
_BLANK = r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: An email address, or a phone number in international form.
REQUESTER = rf"^([^@{_BLANK}]+@[^@{_BLANK}]+|\+[1-9][0-9 ().-]{{5,24}})$"


#: One line: no control character, so that a subject or a name cannot add a header to the
#: desk's mail nor break a line where it is shown.
ONE_LINE = rf"^[^{text.CONTROL}]*$"


def _encodable(value: str) -> str:
    value.encode("utf-8")  # lone surrogates raise UnicodeEncodeError, a ValueError: 422
    return value


def _one_line(value: str) -> str:
    if text.has_control(value):
        raise ValueError(_("must be one line, without control characters"))
    return value


_storable = AfterValidator(_encodable)
#: Single-line text: the pattern is in the schema for clients, the check gives a plain answer.
_single = (Field(json_schema_extra={"pattern": ONE_LINE}), AfterValidator(_one_line), _storable)
#: Strings the database can store, of bounded length.
Subject = Annotated[str, Field(min_length=1, max_length=300), *_single]
Body = Annotated[str, Field(max_length=100_000, pattern=NO_NUL), _storable]
Reply = Annotated[str, Field(min_length=1, max_length=100_000, pattern=NO_NUL), _storable]
Name = Annotated[str, Field(min_length=1, max_length=100), *_single]
Address = Annotated[str, Field(min_length=1, max_length=254), *_single]
Requester = Annotated[str, Field(min_length=3, max_length=254, pattern=REQUESTER), _storable]


Slug = Annotated[str, Field(min_length=1, max_length=100, pattern=SLUG)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Input(BaseModel):
    """Request bodies: a JSON object with known fields only, so a typo is a 422, not a no-op.

    (ninja's ``Schema`` reads attributes of any object, which would take ``[]`` for ``{}``.)
    """

    model_config = ConfigDict(extra="forbid")


class Page(Schema):
    count: int = Field(description="Rows matching the filters, over all pages.")
    limit: int
    offset: int


# --- people -------------------------------------------------------------------------------


class MeOut(Schema):
    email: str
    name: str
    agent: bool
    level: AgentLevel | None
    organization: str | None = Field(description="Slug of the caller's organization.")
    role: ContactRole | None


class ContractOut(Schema):
    plan: str
    start: date
    end: date | None
    designated_email: str
    designated_phone: str
    calendar: str = Field(
        description="Slug of the business hours its promises count: the customer's region's "
        "where the contract names one, else the plan's."
    )
    account_manager: str | None


class OrganizationOut(Schema):
    slug: str
    name: str
    plan: str | None = Field(description="Slug of the plan of the contract active today.")
    contract: ContractOut | None


class OrganizationPage(Page):
    items: list[OrganizationOut]


class ContactOut(Schema):
    id: int
    organization: str
    name: str
    role: ContactRole
    email: str | None
    phone: str | None
    language: str
    extension: str = Field("", description="Reaches the person through the main number.")


class ContactPage(Page):
    items: list[ContactOut]


class AgentOut(Schema):
    id: int = Field(description="The agent's user id.")
    email: str
    name: str
    level: AgentLevel
    teams: list[str]


class AgentPage(Page):
    items: list[AgentOut]


class TokenIn(Input):
    name: Name


class TokenOut(Schema):
    id: int
    name: str
    created_at: datetime


class NewTokenOut(TokenOut):
    secret: str = Field(description="Shown once; only its SHA-256 is kept.")


# --- plans --------------------------------------------------------------------------------


class CalendarOut(Schema):
    slug: str
    timezone: str
    country: str


class TargetOut(Schema):
    metric: Metric
    rule: str
    priorities: list[str]
    channels: list[str]
    within_seconds: int | None
    business_days: int | None
    around_the_clock: bool
    guaranteed: bool


class PlanOut(Schema):
    slug: str
    name: str
    calendar: CalendarOut
    pause_when_waiting: bool
    automatic_escalation: bool
    designated_only: bool
    breach_credit_hours: str = Field(description="Decimal hours credited per missed guarantee.")
    targets: list[TargetOut]


# --- cases --------------------------------------------------------------------------------


class CaseIn(Input):
    subject: Subject
    body: Body
    priority: Priority = Priority.P3
    requester: Requester | None = Field(
        None, description="Agents: the customer's email or phone (E.164). Customers: omit."
    )
    organization: Slug | None = Field(None, description="Agents: organization slug.")
    channel: Channel | None = Field(
        None, description="Agents: where it came in. Default: api with a token, web in a browser."
    )
    received_via: Requester | None = Field(
        None, description="Agents: the address or number the customer wrote or called to."
    )


class CaseChangeIn(Input):
    status: Status | None = None
    priority: Priority | None = None
    level: Level | None = None
    assignee: Address | None = Field(None, description="Email of an agent.")
    team: Slug | None = None


class MessageIn(Input):
    body: Reply


class CoverageOut(Schema):
    covered: bool
    code: str
    reason: str


class ClockOut(Schema):
    metric: Metric
    rule: str
    guaranteed: bool
    started_at: datetime
    due: datetime | None = Field(description="None while paused.")
    met_at: datetime | None
    breached: bool
    breached_at: datetime | None
    paused: bool


class AttachmentOut(Schema):
    id: int
    name: str = Field(description="The file's name as it was sent, without any folder.")
    size: int = Field(description="In bytes.")
    content_type: str = Field(description="As the sender declared it; may be empty.")
    url: str = Field(
        description="Where to download the file, a path on this server (`download_attachment`)."
    )


class MessageOut(Schema):
    id: int
    at: datetime
    kind: MessageKind
    author: str | None
    from_address: str
    body: str
    attachments: list[AttachmentOut] = Field(
        description="Files that came with the message, on whichever channel it arrived."
    )


class EventOut(Schema):
    id: int
    at: datetime
    kind: EventKind
    actor: str | None
    before: Any = None
    after: Any = None


class CaseOut(Schema):
    id: int
    reference: str | None
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    level: Level
    organization: str | None
    requester: str
    assignee: str | None
    team: str | None
    plan: str | None
    asset: str | None = Field(
        None, description="The serial number of the device the case is about, if it names one."
    )
    covered: bool
    coverage: str = Field(description="Why the case is, or is not, under its plan.")
    breached: bool
    received_at: datetime
    updated_at: datetime
    next_due: datetime | None


class CasePage(Page):
    count: int = Field(
        description="Cases matching the filters over all pages, counted up to 10,000; "
        "`count_exact` is false when there are more."
    )
    count_exact: bool = True
    items: list[CaseOut]


class CaseClocksOut(CaseOut):
    """A case with the promises it carries: what creating one answers."""

    coverage_detail: CoverageOut
    clocks: list[ClockOut]


class CaseDetailOut(CaseClocksOut):
    messages: list[MessageOut]
    events: list[EventOut] | None = Field(description="Agents only; None for customers.")
