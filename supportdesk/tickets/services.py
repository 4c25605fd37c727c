"""The only write path for cases: every state change and its events in one transaction.

Web views, the API, email, phone, the history import and the worker all call these functions.
Each takes ``at`` (the instant the change happens; default now), so replayed history and live
traffic follow the same rules.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Brand, Contact, Organization, Team, User
from supportdesk.accounts.services import InvalidAddress, find_contact, normalize_address
from supportdesk.assets.models import Asset
from supportdesk.db import (
    fetch_row,
    fetch_rows,
    insert_row,
    insert_rows,
    save_fields,
    writing,
)
from supportdesk.plans.choices import ON_DEMAND_METRICS, Metric
from supportdesk.plans.contracts import in_force_among, local_day, organization_contracts
from supportdesk.plans.entitlements import case_access
from supportdesk.plans.models import BusinessCalendar, Contract, Plan, SlaTarget
from supportdesk.tickets import clocks as clockmath
from supportdesk.tickets import events, numbering, outbox
from supportdesk.tickets.choices import (
    CHANNEL_WAYS,
    UNGUARANTEED_CHANNELS,
    Channel,
    Coverage,
    EventKind,
    Level,
    MessageKind,
    Priority,
    Status,
    entitlement_text,
)
from supportdesk.tickets.errors import CaseError, CaseErrorCode
from supportdesk.tickets.models import Case, Event, Message, SlaClock
from supportdesk.tickets.text import one_line

#: Channels where the sender is a signed-in contact, so identity and destination are the plan's.
AUTHENTICATED_CHANNELS = frozenset({Channel.WEB, Channel.API, Channel.CHAT})

#: What a missed guarantee sets off in the apps above tickets (billing grants the plan's free
#: hours). A hook gets the cases just breached and, by case id, the earliest of those breaches;
#: it writes inside the breach's transaction and returns the case events to log with the breach.
BreachHook = Callable[[Sequence[Case], Mapping[int, datetime]], list[Event]]
_breach_hooks: list[BreachHook] = []

#: What a case is received with (``prepare_case``'s arguments).
Received = ParamSpec("Received")


def register_breach_hook(hook: BreachHook) -> None:
    if hook not in _breach_hooks:
        _breach_hooks.append(hook)


@dataclass(frozen=True)
class CoverageDecision:
    plan: Plan | None
    contract: Contract | None
    covered: bool
    code: str
    param: str = ""
    designated: bool = False
    #: The level the case starts at, and the entitlement that puts it there (direct Level 2).
    level: str = Level.L1
    entitlement: str = ""

    @property
    def calendar(self) -> BusinessCalendar | None:
        """The business hours the case's clocks count."""
        if self.contract is not None:
            return self.contract.business_calendar
        return self.plan.calendar if self.plan is not None else None


def _normalized(address: str) -> str:
    try:
        return normalize_address(address)[1]
    except InvalidAddress:
        return address.strip().lower()


def _fallback_plan() -> Plan | None:
    return next(iter(fetch_rows(Plan, "name", related=("calendar",), fallback=True)), None)


def decide_coverage(
    *,
    organization: Organization | None,
    contact: Contact | None,
    channel: str,
    received_via: str,
    at: datetime,
    asset: Asset | None = None,
) -> CoverageDecision:
    """Rule 1 of the core: is this case under its organization's plan, and if not, why not.

    A plan that covers only the devices bought under the contract (``assets_only``) does not
    cover a case about another device; a case that names no device stays covered.
    """
    if organization is None:
        return CoverageDecision(_fallback_plan(), None, False, Coverage.SENDER_NOT_REGISTERED)
    contracts = list(organization_contracts(organization))
    if not contracts:
        plan = _fallback_plan()
        return CoverageDecision(plan, None, False, Coverage.NO_PLAN)
    contract = in_force_among(contracts, at)
    if contract is None:
        latest = contracts[0]
        return CoverageDecision(
            latest.plan, None, False, Coverage.NO_CONTRACT, local_day(latest, at).isoformat()
        )
    plan = contract.plan
    if channel in AUTHENTICATED_CHANNELS and contact is not None:
        designated = True
    else:
        via = _normalized(received_via) if received_via else ""
        designated = bool(via) and via in {
            _normalized(a) for a in (contract.designated_email, contract.designated_phone) if a
        }
    if contact is None:
        return CoverageDecision(plan, contract, False, Coverage.SENDER_NOT_REGISTERED)
    if channel in UNGUARANTEED_CHANNELS:
        return CoverageDecision(plan, contract, False, Coverage.CHANNEL_UNGUARANTEED, channel)
    # The matrix: a role without the channel's level is still heard, but not under the plan.
    access = case_access(plan, contact.role, CHANNEL_WAYS[channel])
    if access.level is None:
        return CoverageDecision(plan, contract, False, Coverage.NOT_ENTITLED, access.entitlement)
    level, entitlement = access.level, access.entitlement
    if plan.designated_only and not designated:
        expected = (
            contract.designated_phone if channel == Channel.PHONE else contract.designated_email
        )
        return CoverageDecision(
            plan,
            contract,
            False,
            Coverage.NOT_DESIGNATED,
            expected or "",
            level=level,
            entitlement=entitlement,
        )
    if _device_uncovered(plan, asset):
        assert asset is not None
        return CoverageDecision(
            plan,
            contract,
            False,
            Coverage.DEVICE_NOT_COVERED,
            asset.serial,
            designated,
            level=level,
            entitlement=entitlement,
        )
    return CoverageDecision(
        plan,
        contract,
        True,
        Coverage.COVERED,
        plan.name,
        designated,
        level=level,
        entitlement=entitlement,
    )


def _device_uncovered(plan: Plan, asset: Asset | None) -> bool:
    """The device step of rule 1: a plan for contract devices only, and a device bought
    elsewhere."""
    return plan.assets_only and asset is not None and not asset.under_contract


def _start_clocks(case: Case, decision: CoverageDecision) -> list[SlaClock]:
    plan = decision.plan
    if plan is None:
        return []
    targets = fetch_rows(SlaTarget, "position", plan_id=plan.pk)  # the plan's order
    started = []
    for metric in Metric.values:
        if metric in ON_DEMAND_METRICS:
            continue
        target = clockmath.select_target(
            targets,
            metric=metric,
            priority=case.priority,
            channel=case.channel,
            designated=decision.designated,
            covered=decision.covered,
        )
        if target is None:
            continue
        clock = SlaClock(case=case, metric=metric, started_at=case.received_at)
        clockmath.apply_target(clock, target, decision.calendar)
        clock.due_at = clockmath.compute_due(clock)
        started.append(clock)
    return started


def _resolve_requester(
    contact: Contact | None, sender: str, organization: Organization | None
) -> tuple[Contact | None, Organization | None]:
    """Who wrote: a registered contact, and the organization the case belongs to."""
    if contact is None and sender:
        contact = find_contact(sender)
    if organization is None and contact is not None:
        organization = contact.organization
    if (
        contact is not None
        and organization is not None
        and contact.organization_id != organization.pk
    ):
        contact = None
    return contact, organization


def _brand_of(organization: Organization | None, received_by: Brand | None) -> int | None:
    """A customer's case is their provider's, whatever address it reached; an unknown sender's
    belongs to the provider whose address or number received it (if any)."""
    if organization is not None and organization.brand_id is not None:
        return organization.brand_id
    return received_by.pk if received_by is not None else None


def _require_own_asset(asset: Asset | None, organization: Organization | None) -> None:
    """A case names only a device of its own organization."""
    if asset is not None and (organization is None or asset.organization_id != organization.pk):
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Device %(serial)s is not one of this organization's.") % {"serial": asset.serial},
            "asset",
        )


def _level_2_team(brand_id: int | None) -> Team | None:
    """The provider's Level 2 team: the one team whose agents are all its Level 2 agents
    (none when the desk has no such team, or several to choose from)."""
    teams = list(
        Team.objects.annotate(
            members=Count("agents"),
            level_2=Count("agents", filter=Q(agents__level=Level.L2, agents__brand_id=brand_id)),
        ).filter(members__gt=0, level_2=F("members"))[:2]
    )
    return teams[0] if len(teams) == 1 else None


@dataclass(frozen=True)
class CaseOpening:
    """A case received and worked out (requester, coverage, clocks), not yet written: a channel
    that holds the writers' queue for its own rows reads this before it and writes it inside."""

    case: Case
    clocks: list[SlaClock]
    decision: CoverageDecision
    body: str
    author: User | None
    actor: User | None
    direct: bool

    def write(self) -> Case:
        """The inserts alone, in one transaction (a savepoint in the caller's)."""
        case, at = self.case, self.case.received_at
        with writing():
            if case.reference:
                numbering.note_reference(case.reference)
            else:
                case.reference = numbering.next_reference(case.brand_id)
            insert_row(case)
            insert_rows(self.clocks)
            message = Message(
                case=case,
                at=at,
                kind=MessageKind.CUSTOMER,
                author=self.author,
                from_address=case.requester_address,
                body=self.body,
            )
            insert_row(message)
            log = [
                events.created(
                    case,
                    at,
                    actor=self.actor,
                    channel=case.channel,
                    priority=case.priority,
                    covered=self.decision.covered,
                    coverage=self.decision.code,
                )
            ]
            if self.direct:
                log.append(
                    events.direct_level_2(
                        case, at, entitlement=self.decision.entitlement, team=case.team
                    )
                )
            log += [events.clock(case, EventKind.CLOCK_STARTED, at, c) for c in self.clocks]
            insert_rows(log)
        return case


def prepare_case(
    *,
    subject: str,
    body: str,
    channel: str,
    priority: str = Priority.P3,
    contact: Contact | None = None,
    sender: str = "",
    organization: Organization | None = None,
    received_via: str = "",
    reference: str | None = None,
    actor: User | None = None,
    at: datetime | None = None,
    identify_sender: bool = True,
    needs_review: bool = False,
    brand: Brand | None = None,
    entitled_only: bool = False,
    asset: Asset | None = None,
    sender_failed: str = "",
) -> CaseOpening:
    """Receive a case on any channel. Nothing is refused: an uncovered case says why.

    This reads and decides; ``CaseOpening.write`` writes. ``open_case`` does both in one go.

    A requester whose role holds the channel's direct Level 2 (the plan's entitlement matrix)
    starts the case at Level 2, in the Level 2 team's queue when the provider has one.

    ``identify_sender=False``: the sender address is not proof of identity (a forged or
    malformed From), so it is kept for replies but not looked up among registered addresses.
    ``needs_review``: the channel could not read the message; a person must look at it.
    ``brand``: the provider whose address or number it came to; the organization's wins.
    ``entitled_only``: the requester opens it themselves (portal, API), so a role the plan's
    matrix leaves out is refused with ``NOT_ENTITLED`` rather than received uncovered.
    ``asset``: the device the case is about, one of the requester's organization's.
    ``sender_failed``: the domain whose published policy (DMARC) the message failed: whoever
    it claims to come from, the case carries no guarantee and waits for a person's review.
    ``reference``: the number another system gave the case (an import); without one the case
    takes the next of its provider's sequence.
    """
    at = at or timezone.now()
    if channel not in Channel.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown channel {channel!r}", "channel")
    if priority not in Priority.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown priority {priority!r}", "priority")
    contact, organization = _resolve_requester(
        contact, sender if identify_sender else "", organization
    )
    _require_own_asset(asset, organization)
    decision = decide_coverage(
        organization=organization,
        contact=contact,
        channel=channel,
        received_via=received_via,
        at=at,
        asset=asset,
    )
    if sender_failed:
        decision = CoverageDecision(
            decision.plan, None, False, Coverage.SENDER_FAILED, sender_failed
        )
        needs_review = True
    if entitled_only and decision.code == Coverage.NOT_ENTITLED and contact is not None:
        raise CaseError(
            CaseErrorCode.NOT_ENTITLED,
            _("Your role (%(role)s) does not include %(entitlement)s under your plan.")
            % {"role": contact.get_role_display(), "entitlement": entitlement_text(decision.param)},
            entitlement=decision.param,
        )
    case = Case(
        reference=reference,
        brand_id=_brand_of(organization, brand),
        subject=one_line(subject)[:300] or _("(no subject)"),
        organization=organization,
        contact=contact,
        asset=asset,
        requester_address=sender or (contact.email or contact.phone or "" if contact else ""),
        received_via=received_via,
        channel=channel,
        priority=priority,
        status=Status.NEW,
        plan=decision.plan,
        covered=decision.covered,
        coverage_code=decision.code,
        coverage_param=decision.param,
        level=decision.level,
        needs_review=needs_review,
        received_at=at,
        updated_at=at,
    )
    direct = decision.level == Level.L2
    if direct:
        case.team = _level_2_team(case.brand_id)
    started = _start_clocks(case, decision)
    case.next_due = clockmath.next_due(started)
    # Everything here only reads; the writers' queue is held for the inserts alone.
    author = contact.user if contact else None
    return CaseOpening(case, started, decision, body, author, actor, direct)


def _and_written(prepare: Callable[Received, CaseOpening]) -> Callable[Received, Case]:
    def received_and_written(*args: Received.args, **kwargs: Received.kwargs) -> Case:
        return prepare(*args, **kwargs).write()

    return received_and_written


#: ``prepare_case`` and its write: what web, API, mail, chat and the import call.
open_case = _and_written(prepare_case)


@writing()
def set_case_prefix(brand: Brand, prefix: str) -> bool:
    """Number the provider's next cases under ``prefix`` (after any case already carrying it);
    cases numbered so far keep their references. Returns whether anything changed."""
    sequence = numbering.sequence_for(brand.pk)
    if sequence.prefix == prefix:
        return False
    numbering.set_prefix(sequence, prefix)
    return True


#: What most changes of a case read with it: the plan (pauses, escalation) and its hours.
PLAN_AND_HOURS = ("plan", "plan__calendar")


def _locked(case: Case | int, related: Sequence[str] = PLAN_AND_HOURS) -> Case:
    """Re-read the case (or the case of that key) under a row lock so concurrent changes
    serialise."""
    pk = case if isinstance(case, int) else case.pk
    if related:
        return Case.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    found = fetch_row(Case, pk=pk, lock=True)
    if found is None:
        raise Case.DoesNotExist(f"no case {pk}")
    return found


def _clocks(case: Case, *, hours: bool = True) -> list[SlaClock]:
    """The case's clocks, with the hours each counts (``hours``) when the change moves a due."""
    if not hours:
        clocks = fetch_rows(SlaClock, "metric", case_id=case.pk)
        for clock in clocks:
            clock.case = case  # as the case's own related manager leaves it
        return clocks
    return list(case.clocks.select_related("calendar").order_by("metric", "pk"))


def _settle(case: Case, clocks: Sequence[SlaClock], at: datetime) -> None:
    """Record breaches that fell due before ``at``, in case the sweep has not run yet."""
    due = [
        c
        for c in clocks
        if c.guaranteed
        and c.met_at is None
        and c.breached_at is None
        and c.due_at is not None
        and c.due_at <= at
    ]
    if due:
        _breach(due, {case.pk: case})


def _save_case(case: Case, clocks: Sequence[SlaClock], at: datetime, *fields: str) -> None:
    case.next_due = clockmath.next_due(clocks)
    case.updated_at = at
    save_fields(case, "next_due", "updated_at", *fields)


def _require_open(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise CaseError(CaseErrorCode.CLOSED, _("Case %(case)s is closed.") % {"case": case.label})


def _require_agent(user: User | None) -> None:
    if user is None or not user.is_agent:
        raise CaseError(CaseErrorCode.NOT_AN_AGENT, _("Only agents can do this."))


@writing()
def post_reply(
    case: Case,
    *,
    author: User,
    body: str,
    public: bool = True,
    at: datetime | None = None,
    notify: bool = True,
    status: str | None = None,
) -> Message:
    """An agent's public reply (meets the first-response clock) or internal note (meets nothing).

    ``status``: the status the case takes with it ("send and set status"), in the same
    transaction; without one a public reply opens a new case."""
    at = at or timezone.now()
    _require_agent(author)
    if status is not None and status not in Status.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown status {status!r}", "status")
    case = _locked(case)
    _require_open(case)
    clocks = _clocks(case)
    _settle(case, clocks, at)
    kind = MessageKind.AGENT if public else MessageKind.NOTE
    message = Message.objects.create(
        case=case, at=at, kind=kind, author=author, from_address=author.email, body=body
    )
    log = [events.message(case, at, kind=kind, actor=author)]
    fields = []
    if public:
        log += _meet_first_response(case, clocks, at)
    if status is None and public and case.status == Status.NEW:
        status = Status.OPEN
    if status is not None and status != case.status:
        log += _transition(case, clocks, status, author, at)
        fields.append("status")
    if public and notify:
        outbox.queue_reply(case, message)
    Event.objects.bulk_create(log)
    _save_case(case, clocks, at, *fields)
    return message


def _meet_first_response(case: Case, clocks: Sequence[SlaClock], at: datetime) -> list[Event]:
    log = []
    for clock in clocks:
        if clock.metric == Metric.FIRST_RESPONSE and clock.met_at is None:
            clock.met_at = at
            save_fields(clock, "met_at")
            log.append(events.clock(case, EventKind.CLOCK_MET, at, clock))
    return log


@writing()
def answer_call(case: Case | int, *, agent: User, at: datetime | None = None) -> Case:
    """An agent picked up the customer's call: that is the first response, at that instant.

    The carrier waits on it: the case is read once, by its key, and the plan and hours only if
    a clock must move (a waiting case's paused clock resuming, a breach on the way)."""
    at = at or timezone.now()
    _require_agent(agent)
    case = _locked(case, related=())
    _require_open(case)
    clocks = _clocks(case, hours=False)
    _settle(case, clocks, at)
    log = [events.call_answered(case, at, agent=agent)]
    log += _meet_first_response(case, clocks, at)
    fields = []
    if case.status in (Status.NEW, Status.WAITING, Status.RESOLVED):
        log += _transition(case, clocks, Status.OPEN, agent, at)
        fields.append("status")
    if case.assignee_id is None:
        case.assignee = agent
        fields.append("assignee")
        log.append(
            events.changed(case, EventKind.ASSIGNEE, at, actor=agent, before=None, after=agent)
        )
    insert_rows(log)
    _save_case(case, clocks, at, *fields)
    return case


@writing()
def add_customer_message(
    case: Case,
    *,
    body: str,
    contact: Contact | None = None,
    sender: str = "",
    at: datetime | None = None,
) -> Message:
    """The customer writes again: a waiting case opens, a resolved one reopens."""
    at = at or timezone.now()
    case = _locked(case)
    _require_open(case)
    clocks = _clocks(case)
    _settle(case, clocks, at)
    message = Message.objects.create(
        case=case,
        at=at,
        kind=MessageKind.CUSTOMER,
        author=contact.user if contact else None,
        from_address=sender or case.requester_address,
        body=body,
    )
    actor = contact.user if contact else None
    log = [events.message(case, at, kind=MessageKind.CUSTOMER, actor=actor)]
    fields = []
    if case.status in (Status.WAITING, Status.RESOLVED):
        log += _transition(case, clocks, Status.OPEN, actor, at)
        fields.append("status")
    Event.objects.bulk_create(log)
    _save_case(case, clocks, at, *fields)
    return message


@writing()
def add_automatic_message(
    case: Case, *, body: str, sender: str = "", at: datetime | None = None
) -> Message:
    """Mail a machine wrote about the case (e.g. a bounce): kept on the case, changing nothing
    else: it neither reopens the case nor counts as the customer's answer."""
    at = at or timezone.now()
    case = _locked(case)
    message = Message.objects.create(
        case=case, at=at, kind=MessageKind.AUTOMATIC, from_address=sender, body=body
    )
    Event.objects.bulk_create([events.message(case, at, kind=MessageKind.AUTOMATIC)])
    case.updated_at = at
    case.save(update_fields=["updated_at"])
    return message


def _restoration_wants(case: Case, status: str) -> tuple[bool, bool]:
    """(paused, met) for the restoration clock in this status, under this case's plan."""
    met = status in (Status.RESOLVED, Status.CLOSED)
    waiting = status == Status.WAITING and (case.plan is None or case.plan.pause_when_waiting)
    return met or waiting, met


def _transition(
    case: Case, clocks: Sequence[SlaClock], status: str, actor: User | None, at: datetime
) -> list[Event]:
    """Move the case to ``status`` and pause, resume or meet the restoration clock to match."""
    log = [
        events.changed(case, EventKind.STATUS, at, actor=actor, before=case.status, after=status)
    ]
    case.status = status
    want_pause, want_met = _restoration_wants(case, status)
    for clock in clocks:
        if clock.metric != Metric.RESTORATION:
            continue
        changed = []
        if want_met and clock.met_at is None:
            if clock.paused_since is not None:
                # Met while paused: it keeps the due it stood at, its pause counted up to now.
                clock.due_at = clockmath.due_as_of(clock, at)
                changed.append("due_at")
            clock.met_at = at
            changed.append("met_at")
            log.append(events.clock(case, EventKind.CLOCK_MET, at, clock))
        elif not want_met and clock.met_at is not None:
            clock.met_at = None
            changed.append("met_at")
        if want_pause and clock.paused_since is None:
            # A met clock keeps the due it was met against; a paused one has none.
            clock.paused_since = at
            if not want_met:
                clock.due_at = None
            changed += ["paused_since", "due_at"]
            log.append(events.clock(case, EventKind.CLOCK_PAUSED, at, clock))
        elif want_pause and not want_met and clock.due_at is not None:
            clock.due_at = None  # reopened straight into waiting: paused again, no due
            changed.append("due_at")
        elif not want_pause and clock.paused_since is not None:
            clock.paused_work += clockmath.paused_working_time(clock, at)
            clock.paused_since = None
            clock.due_at = clockmath.compute_due(clock)
            changed += ["paused_work", "paused_since", "due_at"]
            log.append(events.clock(case, EventKind.CLOCK_RESUMED, at, clock))
        if changed:
            clock.save(update_fields=changed)
    return log


@writing()
def change_status(
    case: Case, status: str, *, actor: User | None, at: datetime | None = None
) -> Case:
    at = at or timezone.now()
    if status not in Status.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown status {status!r}", "status")
    case = _locked(case)
    _require_open(case)
    if status == case.status:
        return case
    clocks = _clocks(case)
    _settle(case, clocks, at)
    Event.objects.bulk_create(_transition(case, clocks, status, actor, at))
    _save_case(case, clocks, at, "status")
    return case


def _case_hours(case: Case) -> tuple[CoverageDecision, BusinessCalendar | None]:
    """The coverage the case was received under, and the hours its clocks count: the contract's
    region, unless the organization has moved to another plan since."""
    decision = decide_coverage(
        organization=case.organization,
        contact=case.contact,
        channel=case.channel,
        received_via=case.received_via,
        at=case.received_at,
    )
    plan_hours = case.plan.calendar if case.plan is not None else None
    return decision, decision.calendar if decision.plan == case.plan else plan_hours


@writing()
def change_priority(
    case: Case, priority: str, *, actor: User | None, at: datetime | None = None
) -> Case:
    """Swap each clock's target, keeping its start, pauses and met state; recompute due."""
    at = at or timezone.now()
    if priority not in Priority.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown priority {priority!r}", "priority")
    case = _locked(case)
    _require_open(case)
    if priority == case.priority:
        return case
    clocks = _clocks(case)
    _settle(case, clocks, at)
    log = [
        events.changed(
            case, EventKind.PRIORITY, at, actor=actor, before=case.priority, after=priority
        )
    ]
    case.priority = priority
    retargeted, late = _retarget(case, clocks, actor=actor, at=at)
    log += retargeted
    Event.objects.bulk_create(log)
    _save_case(case, clocks, at, "priority")
    if late:
        _breach(late, {case.pk: case}, at=at)
    return case


def _retarget(
    case: Case, clocks: list[SlaClock], *, actor: User | None, at: datetime
) -> tuple[list[Event], list[SlaClock]]:
    """Give each clock the plan's row for the case's priority and coverage as they now stand,
    keeping its start, pauses and met state; start what only the new row promises. Returns
    the events, and the clocks already past their new due (to breach as of ``at``). ``clocks``
    gains the clocks started."""
    log: list[Event] = []
    late: list[SlaClock] = []
    if case.plan is not None:
        decision, calendar = _case_hours(case)
        targets = list(case.plan.targets.all())
        by_metric = {clock.metric: clock for clock in clocks}
        for metric in Metric.values:
            clock = by_metric.get(metric)
            if clock is None and metric in ON_DEMAND_METRICS:
                continue
            target = clockmath.select_target(
                targets,
                metric=metric,
                priority=case.priority,
                channel=case.channel,
                designated=decision.designated,
                covered=case.covered,
            )
            if target is None and clock is not None and not case.covered:
                log += _unguarantee(case, clock, at, actor)
                continue
            if target is None or (clock is not None and target.pk == clock.target_id):
                continue
            if clock is None:
                clock = _start_late_clock(case, metric, target, calendar, at)
                if clock is None:
                    continue
                clocks.append(clock)
                log.append(events.clock(case, EventKind.CLOCK_STARTED, at, clock))
            else:
                before = events.clock_state(clock)
                hours_before = clock.calendar_id
                clockmath.apply_target(clock, target, calendar)
                if clock.calendar_id != hours_before and clock.paused_work:
                    clock.paused_work = clockmath.paused_on_calendar(
                        clock, _past_pauses(case, clock.metric)
                    )
                if clock.paused_since is None:
                    clock.due_at = clockmath.compute_due(clock)
                clock.save()
                log.append(
                    events.clock(
                        case, EventKind.CLOCK_RETARGETED, at, clock, actor=actor, before=before
                    )
                )
            due = clockmath.compute_due(clock)
            overdue_by = clock.paused_since or at
            if (
                clock.guaranteed
                and clock.met_at is None
                and clock.breached_at is None
                and due <= overdue_by
            ):
                late.append(clock)
    return log, late


def _unguarantee(case: Case, clock: SlaClock, at: datetime, actor: User | None) -> list[Event]:
    """A promise the case no longer carries (it lost its coverage) and the plan has no
    indicative row for: the clock stays as an indication, and can no longer be breached."""
    if not clock.guaranteed or clock.met_at is not None or clock.breached_at is not None:
        return []
    before = events.clock_state(clock)
    clock.guaranteed = False
    clock.save(update_fields=["guaranteed"])
    return [events.clock(case, EventKind.CLOCK_RETARGETED, at, clock, actor=actor, before=before)]


def _past_pauses(case: Case, metric: str) -> list[tuple[datetime, datetime]]:
    """The clock's finished pauses, from its paused and resumed events."""
    pauses, start = [], None
    rows = (
        Event.objects.filter(case=case, kind__in=[EventKind.CLOCK_PAUSED, EventKind.CLOCK_RESUMED])
        .order_by("at", "id")
        .values_list("kind", "at", "after")
    )
    for kind, at, after in rows:
        if not isinstance(after, dict) or after.get("metric") != metric:
            continue
        if kind == EventKind.CLOCK_PAUSED and start is None:
            start = at
        elif kind == EventKind.CLOCK_RESUMED and start is not None:
            pauses.append((start, at))
            start = None
    return pauses


def _start_late_clock(
    case: Case, metric: str, target, calendar: BusinessCalendar | None, at: datetime
) -> SlaClock | None:
    """A promise that only the new priority makes (e.g. P1 restoration): it runs from receipt,
    as if the case had come in at that priority. A case already resolved owes nothing more."""
    if case.status in (Status.RESOLVED, Status.CLOSED):
        return None
    clock = SlaClock(case=case, metric=metric, started_at=case.received_at)
    clockmath.apply_target(clock, target, calendar)
    if metric == Metric.RESTORATION and _restoration_wants(case, case.status)[0]:
        clock.paused_since = at
    else:
        clock.due_at = clockmath.compute_due(clock)
    clock.save()
    return clock


@dataclass(frozen=True)
class Promise:
    """A promise that is not a plan's target row (a request type's milestone): how long, on
    which calendar, and how it reads."""

    rule: str
    calendar: BusinessCalendar | None
    within: timedelta | None = None
    business_days: int | None = None
    guaranteed: bool = True


@writing()
def start_clock(
    case: Case,
    metric: str,
    *,
    actor: User | None,
    at: datetime | None = None,
    started_at: datetime | None = None,
    promise: Promise | None = None,
) -> SlaClock | None:
    """Start a promise that runs from an event rather than from receipt: a visit decided, a
    device taken for repair, a request submitted. Without ``promise`` the plan's target for the
    metric applies; no target, no clock (``None``). ``started_at`` is what the promise counts
    from (an on-site visit counts from the report), default ``at``."""
    at = at or timezone.now()
    if metric not in ON_DEMAND_METRICS:
        raise CaseError(CaseErrorCode.INVALID, f"{metric} starts with the case", "metric")
    case = _locked(case)
    _require_open(case)
    clocks = _clocks(case)
    if any(c.metric == metric for c in clocks):
        raise CaseError(
            CaseErrorCode.INVALID,
            _("The case already has a %(metric)s clock.") % {"metric": Metric(metric).label},
            "metric",
        )
    if started_at is not None and started_at > at:
        raise CaseError(CaseErrorCode.INVALID, "a clock cannot count from the future", "started_at")
    clock = SlaClock(case=case, metric=metric, started_at=started_at or at)
    if promise is None:
        if case.plan is None:
            return None
        decision, calendar = _case_hours(case)
        target = clockmath.select_target(
            case.plan.targets.all(),
            metric=metric,
            priority=case.priority,
            channel=case.channel,
            designated=decision.designated,
            covered=case.covered,
        )
        if target is None:
            return None
        clockmath.apply_target(clock, target, calendar)
    else:
        clock.rule, clock.guaranteed = promise.rule, promise.guaranteed
        clock.calendar, clock.within = promise.calendar, promise.within
        clock.business_days = promise.business_days
    clock.due_at = clockmath.compute_due(clock)
    clock.save()
    clocks.append(clock)
    # Started before it is settled: a promise already past due (a visit decided more than 24
    # hours after the report) reads "started, breached" in the history, with its consequences.
    Event.objects.bulk_create([events.clock(case, EventKind.CLOCK_STARTED, at, clock, actor=actor)])
    _settle(case, [clock], at)
    _save_case(case, clocks, at)
    return clock


@writing()
def meet_clock(case: Case, metric: str, *, actor: User | None, at: datetime | None = None) -> bool:
    """The promise is kept at ``at`` (the technician arrived, the device came back); a breach
    already recorded stays. False when the case has no such clock running."""
    at = at or timezone.now()
    case = _locked(case)
    clocks = _clocks(case)
    _settle(case, clocks, at)
    clock = next((c for c in clocks if c.metric == metric and c.met_at is None), None)
    if clock is None:
        return False
    clock.met_at = at
    clock.save(update_fields=["met_at"])
    Event.objects.bulk_create([events.clock(case, EventKind.CLOCK_MET, at, clock, actor=actor)])
    _save_case(case, clocks, at)
    return True


@writing()
def assign(
    case: Case,
    *,
    assignee: User | None = None,
    team: Team | None = None,
    level: str | None = None,
    actor: User | None,
    at: datetime | None = None,
) -> Case:
    """Route a case: who works it, in which team, at which level. ``None`` leaves it as it is."""
    at = at or timezone.now()
    if assignee is not None:
        _require_agent(assignee)
    if level is not None and level not in Level.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown level {level!r}", "level")
    case = _locked(case)
    _require_open(case)
    log, fields = [], []
    for field, kind, value, current in (
        ("assignee", EventKind.ASSIGNEE, assignee, case.assignee),
        ("team", EventKind.TEAM, team, case.team),
        ("level", EventKind.LEVEL, level, case.level),
    ):
        if value is None or value == current:
            continue
        setattr(case, field, value)
        fields.append(field)
        log.append(events.changed(case, kind, at, actor=actor, before=current, after=value))
    if fields:
        Event.objects.bulk_create(log)
        case.updated_at = at
        case.save(update_fields=[*fields, "updated_at"])
    return case


@writing()
def set_asset(
    case: Case, asset: Asset | None, *, actor: User | None, at: datetime | None = None
) -> Case:
    """Name the device the case is about (``None``: no device) and take the device step of
    rule 1 again. Under a plan for contract devices only, a device bought elsewhere takes a
    covered case out of the plan, and a covered device (or none) brings it back; a case
    uncovered for another reason stays as it is. The clocks follow as they follow a priority
    change: start, pauses and met state kept, the promise the new coverage gives (a guarantee
    the plan has no indicative row for stays as an indication); breaches recorded stay."""
    at = at or timezone.now()
    case = _locked(case)
    _require_open(case)
    if (asset.pk if asset is not None else None) == case.asset_id:
        return case
    _require_own_asset(asset, case.organization)
    clocks = _clocks(case)
    _settle(case, clocks, at)
    before = case.asset.serial if case.asset is not None else None
    log = [
        events.asset_changed(
            case, at, actor=actor, before=before, after=asset.serial if asset else None
        )
    ]
    case.asset = asset
    fields = ["asset"]
    late: list[SlaClock] = []
    if case.plan is not None and case.coverage_code in (
        Coverage.COVERED,
        Coverage.DEVICE_NOT_COVERED,
    ):
        coverage = events.coverage_state(case)
        if _device_uncovered(case.plan, asset):
            assert asset is not None
            case.covered, case.coverage_code, case.coverage_param = (
                False,
                Coverage.DEVICE_NOT_COVERED,
                asset.serial,
            )
        else:
            case.covered, case.coverage_code = True, Coverage.COVERED
            case.coverage_param = case.plan.name
        if events.coverage_state(case) != coverage:
            fields += ["covered", "coverage_code", "coverage_param"]
            log.append(events.coverage_changed(case, at, actor=actor, before=coverage))
            retargeted, late = _retarget(case, clocks, actor=actor, at=at)
            log += retargeted
    Event.objects.bulk_create(log)
    _save_case(case, clocks, at, *fields)
    if late:
        _breach(late, {case.pk: case}, at=at)
    return case


@dataclass(frozen=True)
class CaseChanges:
    """What a person asks to change on a case; ``None`` leaves a field as it is
    (``no_asset``: the case is about no device after all)."""

    priority: str | None = None
    assignee: User | None = None
    team: Team | None = None
    level: str | None = None
    status: str | None = None
    asset: Asset | None = None
    no_asset: bool = False

    def against(self, case: Case) -> "CaseChanges":
        """Only the fields that differ from the case as it stands before any change."""
        return CaseChanges(
            priority=self.priority if self.priority != case.priority else None,
            assignee=self.assignee if self.assignee != case.assignee else None,
            team=self.team if self.team != case.team else None,
            level=self.level if self.level != case.level else None,
            status=self.status if self.status != case.status else None,
            asset=self.asset if self.asset is not None and self.asset != case.asset else None,
            no_asset=self.no_asset and case.asset_id is not None,
        )


@writing()
def update_case(
    case: Case, changes: CaseChanges, *, actor: User | None, at: datetime | None = None
) -> Case:
    """Apply what changed, all or nothing, always in one order: device (and with it the
    coverage), priority, routing, status.

    Changes are weighed against the case as it was before any of them, so a form that sends
    every field does not undo what the others set off: a priority raised past its target
    escalates the case to Level 2, and the form's unchanged "Level 1" leaves it there.
    """
    at = at or timezone.now()
    if changes.status is not None and changes.status not in Status.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown status {changes.status!r}", "status")
    case = _locked(case)
    wanted = changes.against(case)
    if wanted.asset is not None or wanted.no_asset:
        case = set_asset(case, wanted.asset, actor=actor, at=at)
    if wanted.priority is not None:
        case = change_priority(case, wanted.priority, actor=actor, at=at)
    if (wanted.assignee, wanted.team, wanted.level) != (None, None, None):
        case = assign(
            case,
            assignee=wanted.assignee,
            team=wanted.team,
            level=wanted.level,
            actor=actor,
            at=at,
        )
    if wanted.status is not None:
        case = change_status(case, wanted.status, actor=actor, at=at)
    return case


def _breach(clocks: Sequence[SlaClock], cases: dict[int, Case], at: datetime | None = None) -> None:
    """Record breaches (at the due instant, or ``at`` for a retarget) and their consequences:
    escalation, the breach hooks' (billing's credit), the notices.

    Written in bulk so the sweep can mark thousands of clocks in a few statements.
    """
    log: list[Event] = []
    breaches: list[tuple[datetime, int]] = []
    for clock in clocks:
        breached_at = at or clock.due_at
        if breached_at is None:
            raise ValueError(f"clock {clock.pk} has no due time to breach at")
        clock.breached_at = breached_at
        breaches.append((breached_at, clock.case_id))
        log.append(events.clock(cases[clock.case_id], EventKind.CLOCK_BREACHED, breached_at, clock))
    # One statement, not a CASE per row: the sweep marks thousands at a time.
    breached = SlaClock.objects.filter(pk__in=[c.pk for c in clocks])
    breached.update(breached_at=at if at is not None else F("due_at"))
    breached_cases = {c.case_id: cases[c.case_id] for c in clocks}
    first_breach: dict[int, datetime] = {}
    for breached_at, case_id in sorted(breaches):
        first_breach.setdefault(case_id, breached_at)  # the earliest breach per case
    escalate = [
        case
        for case in breached_cases.values()
        if case.plan is not None and case.plan.automatic_escalation and case.level != Level.L2
    ]
    for case in escalate:
        log.append(events.escalated(case, first_breach[case.pk], before=case.level))
        case.level = Level.L2
    if escalate:
        Case.objects.filter(pk__in=[c.pk for c in escalate]).update(level=Level.L2)
    for hook in _breach_hooks:
        log += hook(list(breached_cases.values()), first_breach)
    log += outbox.queue_breach_notices(clocks, breached_cases)
    Event.objects.bulk_create(log)


def sweep(now: datetime | None = None, batch: int = 2000) -> int:
    """Breach every guaranteed clock whose due instant has passed; returns how many.

    Due clocks are found through a partial index; on PostgreSQL rows are claimed with
    ``FOR UPDATE SKIP LOCKED`` so any number of workers can sweep at once.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with writing():
            claimed = SlaClock.objects.filter(
                guaranteed=True,
                met_at__isnull=True,
                breached_at__isnull=True,
                paused_since__isnull=True,
                due_at__lte=now,
            ).order_by("due_at")[:batch]
            clocks = list(claimed.select_for_update(skip_locked=True, of=("self",)))
            if not clocks:
                return total
            cases = Case.objects.select_related("plan", "assignee").in_bulk(
                {c.case_id for c in clocks}
            )
            _breach(clocks, cases)
            total += len(clocks)
        if len(clocks) < batch:
            return total
