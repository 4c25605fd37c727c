"""The only write path for cases: every state change and its events in one transaction.

Web views, the API, email, phone, the history import and the worker all call these functions.
Each takes ``at`` (the instant the change happens; default now), so replayed history and live
traffic follow the same rules.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Contact, Organization, Team, User
from supportdesk.accounts.services import InvalidAddress, find_contact, normalize_address
from supportdesk.db import writing
from supportdesk.plans.choices import Metric
from supportdesk.plans.models import BusinessCalendar, Contract, Plan
from supportdesk.tickets import clocks as clockmath
from supportdesk.tickets import events, outbox
from supportdesk.tickets.choices import (
    UNGUARANTEED_CHANNELS,
    Channel,
    Coverage,
    EventKind,
    Level,
    MessageKind,
    Priority,
    Status,
)
from supportdesk.tickets.errors import CaseError, CaseErrorCode
from supportdesk.tickets.models import BreachCredit, Case, Event, Message, SlaClock

#: Channels where the sender is a signed-in contact, so identity and destination are the plan's.
AUTHENTICATED_CHANNELS = frozenset({Channel.WEB, Channel.API, Channel.CHAT})


@dataclass(frozen=True)
class CoverageDecision:
    plan: Plan | None
    contract: Contract | None
    covered: bool
    code: str
    param: str = ""
    designated: bool = False

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
    return Plan.objects.filter(fallback=True).select_related("calendar").first()


def decide_coverage(
    *,
    organization: Organization | None,
    contact: Contact | None,
    channel: str,
    received_via: str,
    at: datetime,
) -> CoverageDecision:
    """Rule 1 of the core: is this case under its organization's plan, and if not, why not."""
    if organization is None:
        return CoverageDecision(_fallback_plan(), None, False, Coverage.SENDER_NOT_REGISTERED)
    contracts = list(
        Contract.objects.filter(organization=organization)
        .select_related("plan", "plan__calendar", "calendar")
        .order_by("-start")
    )
    if not contracts:
        plan = _fallback_plan()
        return CoverageDecision(plan, None, False, Coverage.NO_PLAN)
    local_day = at.astimezone(ZoneInfo(contracts[0].business_calendar.timezone)).date()
    contract = next((c for c in contracts if c.active_on(local_day)), None)
    if contract is None:
        return CoverageDecision(
            contracts[0].plan, None, False, Coverage.NO_CONTRACT, local_day.isoformat()
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
    if plan.designated_only and not designated:
        expected = (
            contract.designated_phone if channel == Channel.PHONE else contract.designated_email
        )
        return CoverageDecision(plan, contract, False, Coverage.NOT_DESIGNATED, expected or "")
    return CoverageDecision(plan, contract, True, Coverage.COVERED, plan.name, designated)


def _start_clocks(case: Case, decision: CoverageDecision) -> list[SlaClock]:
    plan = decision.plan
    if plan is None:
        return []
    targets = list(plan.targets.all())
    started = []
    for metric in Metric.values:
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


def open_case(
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
) -> Case:
    """Receive a case on any channel. Nothing is refused: an uncovered case says why.

    ``identify_sender=False``: the sender address is not proof of identity (a forged or
    malformed From), so it is kept for replies but not looked up among registered addresses.
    ``needs_review``: the channel could not read the message; a person must look at it.
    """
    at = at or timezone.now()
    if channel not in Channel.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown channel {channel!r}", "channel")
    if priority not in Priority.values:
        raise CaseError(CaseErrorCode.INVALID, f"unknown priority {priority!r}", "priority")
    contact, organization = _resolve_requester(
        contact, sender if identify_sender else "", organization
    )
    decision = decide_coverage(
        organization=organization,
        contact=contact,
        channel=channel,
        received_via=received_via,
        at=at,
    )
    case = Case(
        reference=reference,
        subject=subject.strip()[:300] or _("(no subject)"),
        organization=organization,
        contact=contact,
        requester_address=sender or (contact.email or contact.phone or "" if contact else ""),
        received_via=received_via,
        channel=channel,
        priority=priority,
        status=Status.NEW,
        plan=decision.plan,
        covered=decision.covered,
        coverage_code=decision.code,
        coverage_param=decision.param,
        needs_review=needs_review,
        received_at=at,
        updated_at=at,
    )
    started = _start_clocks(case, decision)
    case.next_due = clockmath.next_due(started)
    created = {
        "subject": case.subject,
        "channel": channel,
        "priority": priority,
        "covered": decision.covered,
        "coverage": decision.code,
    }
    # Everything above only reads; the writers' queue is held for the inserts alone.
    with writing():
        case.save()
        SlaClock.objects.bulk_create(started)
        Message.objects.create(
            case=case,
            at=at,
            kind=MessageKind.CUSTOMER,
            author=contact.user if contact else None,
            from_address=case.requester_address,
            body=body,
        )
        log = [events.event(case, EventKind.CREATED, at, actor=actor, after=created)]
        log += [
            events.event(case, EventKind.CLOCK_STARTED, at, after=events.clock_state(c))
            for c in started
        ]
        Event.objects.bulk_create(log)
    return case


def _locked(case: Case) -> Case:
    """Re-read the case under a row lock so concurrent changes serialise."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__calendar")
        .get(pk=case.pk)
    )


def _clocks(case: Case) -> list[SlaClock]:
    return list(case.clocks.select_related("calendar").order_by("metric"))


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
    case.save(update_fields=["next_due", "updated_at", *fields])


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
) -> Message:
    """An agent's public reply (meets the first-response clock) or internal note (meets nothing)."""
    at = at or timezone.now()
    _require_agent(author)
    case = _locked(case)
    _require_open(case)
    clocks = _clocks(case)
    _settle(case, clocks, at)
    kind = MessageKind.AGENT if public else MessageKind.NOTE
    message = Message.objects.create(
        case=case, at=at, kind=kind, author=author, from_address=author.email, body=body
    )
    log = [events.event(case, EventKind.MESSAGE, at, actor=author, after={"kind": kind})]
    fields = []
    if public:
        for clock in clocks:
            if clock.metric == Metric.FIRST_RESPONSE and clock.met_at is None:
                clock.met_at = at
                clock.save(update_fields=["met_at"])
                log.append(
                    events.event(case, EventKind.CLOCK_MET, at, after=events.clock_state(clock))
                )
        if case.status == Status.NEW:
            log += _transition(case, clocks, Status.OPEN, author, at)
            fields.append("status")
        if notify:
            outbox.queue_reply(case, message)
    Event.objects.bulk_create(log)
    _save_case(case, clocks, at, *fields)
    return message


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
    log = [events.event(case, EventKind.MESSAGE, at, actor=actor, after={"kind": "customer"})]
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
    Event.objects.bulk_create(
        [events.event(case, EventKind.MESSAGE, at, after={"kind": MessageKind.AUTOMATIC})]
    )
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
    log = [events.event(case, EventKind.STATUS, at, actor=actor, before=case.status, after=status)]
    case.status = status
    want_pause, want_met = _restoration_wants(case, status)
    for clock in clocks:
        if clock.metric != Metric.RESTORATION:
            continue
        changed = []
        if want_met and clock.met_at is None:
            clock.met_at = at
            changed.append("met_at")
            log.append(events.event(case, EventKind.CLOCK_MET, at, after=events.clock_state(clock)))
        elif not want_met and clock.met_at is not None:
            clock.met_at = None
            changed.append("met_at")
        if want_pause and clock.paused_since is None:
            clock.paused_since, clock.due_at = at, None
            changed += ["paused_since", "due_at"]
            log.append(
                events.event(case, EventKind.CLOCK_PAUSED, at, after=events.clock_state(clock))
            )
        elif not want_pause and clock.paused_since is not None:
            clock.paused_work += clockmath.paused_working_time(clock, at)
            clock.paused_since = None
            clock.due_at = clockmath.compute_due(clock)
            changed += ["paused_work", "paused_since", "due_at"]
            log.append(
                events.event(case, EventKind.CLOCK_RESUMED, at, after=events.clock_state(clock))
            )
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
        events.event(
            case, EventKind.PRIORITY, at, actor=actor, before=case.priority, after=priority
        )
    ]
    case.priority = priority
    late = []
    if case.plan is not None:
        decision = decide_coverage(
            organization=case.organization,
            contact=case.contact,
            channel=case.channel,
            received_via=case.received_via,
            at=case.received_at,
        )
        # The contract's region, unless the organization has moved to another plan since.
        calendar = decision.calendar if decision.plan == case.plan else case.plan.calendar
        targets = list(case.plan.targets.all())
        by_metric = {clock.metric: clock for clock in clocks}
        for metric in Metric.values:
            clock = by_metric.get(metric)
            target = clockmath.select_target(
                targets,
                metric=metric,
                priority=priority,
                channel=case.channel,
                designated=decision.designated,
                covered=case.covered,
            )
            if target is None or (clock is not None and target.pk == clock.target_id):
                continue
            if clock is None:
                clock = _start_late_clock(case, metric, target, calendar, at)
                if clock is None:
                    continue
                clocks.append(clock)
                log.append(
                    events.event(case, EventKind.CLOCK_STARTED, at, after=events.clock_state(clock))
                )
            else:
                before = events.clock_state(clock)
                clockmath.apply_target(clock, target, calendar)
                if clock.paused_since is None:
                    clock.due_at = clockmath.compute_due(clock)
                clock.save()
                log.append(
                    events.event(
                        case,
                        EventKind.CLOCK_RETARGETED,
                        at,
                        actor=actor,
                        before=before,
                        after=events.clock_state(clock),
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
    Event.objects.bulk_create(log)
    _save_case(case, clocks, at, "priority")
    if late:
        _breach(late, {case.pk: case}, at=at)
    return case


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
        log.append(
            events.event(case, kind, at, actor=actor, before=_label(current), after=_label(value))
        )
    if fields:
        Event.objects.bulk_create(log)
        case.updated_at = at
        case.save(update_fields=[*fields, "updated_at"])
    return case


def _label(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, User):
        return value.email
    if isinstance(value, Team):
        return value.slug
    return str(value)


def _breach(clocks: Sequence[SlaClock], cases: dict[int, Case], at: datetime | None = None) -> None:
    """Record breaches (at the due instant, or ``at`` for a retarget) and their consequences.

    Written in bulk so the sweep can mark thousands of clocks in a few statements.
    """
    log: list[Event] = []
    for clock in clocks:
        clock.breached_at = at or clock.due_at
        log.append(
            events.event(
                cases[clock.case_id],
                EventKind.CLOCK_BREACHED,
                clock.breached_at,
                after=events.clock_state(clock),
            )
        )
    # One statement, not a CASE per row: the sweep marks thousands at a time.
    breached = SlaClock.objects.filter(pk__in=[c.pk for c in clocks])
    breached.update(breached_at=at if at is not None else F("due_at"))
    breached_cases = {c.case_id: cases[c.case_id] for c in clocks}
    first_breach: dict[int, datetime] = {}
    for c in sorted(clocks, key=lambda c: c.breached_at):
        first_breach.setdefault(c.case_id, c.breached_at)  # the earliest breach per case
    escalate = [
        case
        for case in breached_cases.values()
        if case.plan is not None and case.plan.automatic_escalation and case.level != Level.L2
    ]
    for case in escalate:
        log.append(
            events.event(
                case, EventKind.ESCALATED, first_breach[case.pk], before=case.level, after="L2"
            )
        )
        case.level = Level.L2
    if escalate:
        Case.objects.filter(pk__in=[c.pk for c in escalate]).update(level=Level.L2)
    credited = set(
        BreachCredit.objects.filter(case_id__in=breached_cases).values_list("case_id", flat=True)
    )
    credits = [
        BreachCredit(
            case=case,
            organization_id=case.organization_id,
            hours=case.plan.breach_credit_hours,
            granted_at=first_breach[case.pk],
        )
        for case in breached_cases.values()
        if case.pk not in credited
        and case.covered
        and case.organization_id
        and case.plan is not None
        and case.plan.breach_credit_hours > 0
    ]
    BreachCredit.objects.bulk_create(credits, ignore_conflicts=True)
    log += [
        events.event(credit.case, EventKind.CREDITED, credit.granted_at, after=str(credit.hours))
        for credit in credits
    ]
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
