"""A month's statement for an organization, computed from entries, packs and credits.

Draws are cumulative: single packs and credits carry their balances from month to month, so the
statement for March replays every earlier month that can still matter to March (from the first
availability of any single pack or credit whose balance March can see; see ``_replay_from``)
through the same engine, in order. Nothing is stored; the same data gives the same statement.

Which plan: the plan of the organization's latest contract that started by the month's last day
(for months before its first contract, the first contract's plan). The month, its business
hours, block sizes, rates and currency are that plan's.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportdesk.accounts.models import Organization
from supportdesk.billing import engine
from supportdesk.billing.choices import PackKind
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.fast import epoch_rows
from supportdesk.billing.models import WORKING_DAY, BreachCredit, HourPack, TimeEntry
from supportdesk.billing.periods import (
    IsoClock,
    day_start,
    epoch,
    expiry,
    from_epoch,
    month_of,
    next_month,
    previous_month,
)
from supportdesk.plans.models import BusinessCalendar, Contract, Plan, kernel_for

CENT = Decimal("0.01")


def minutes_of_hours(hours: Decimal) -> int:
    """Hours of a pack or credit as whole minutes, rounded up in the customer's favour."""
    return int((Decimal(hours) * 60).to_integral_value(ROUND_CEILING))


def hours_text(minutes: int) -> str:
    """Minutes as hours with two decimals ("7.25"), the way packs are sold."""
    return str((Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP))


def hours_shown(minutes: int) -> str:
    """Hours as the reader's language writes them: "7.25" in English, "7,25" in Polish."""
    return formats.number_format(Decimal(hours_text(minutes)), 2)


def amount_shown(amount: Decimal) -> str:
    """A sum of money with two decimals, in the reader's language's number format."""
    return formats.number_format(amount, 2)


def hm(minutes: int) -> str:
    """Minutes as ``h:mm`` (``75`` → ``1:15``), how time sheets are read."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def money(minutes: int, rate_per_hour: Decimal) -> Decimal:
    """One statement line's amount: the only place money is rounded (half up, to the cent)."""
    return (Decimal(minutes) * Decimal(rate_per_hour) / 60).quantize(CENT, ROUND_HALF_UP)


def block_minutes(plan: Plan) -> tuple[int, int]:
    """The plan's blocks as whole minutes; anything else cannot bill whole minutes."""
    blocks = []
    for name, block in (
        ("block_in_hours", plan.block_in_hours),
        ("block_out_of_hours", plan.block_out_of_hours),
    ):
        seconds = block.total_seconds()
        if seconds <= 0 or seconds % 60:
            raise BillingError(
                BillingErrorCode.BAD_BLOCK,
                _("Plan %(plan)s: %(field)s must be a whole number of minutes, not %(v)s.")
                % {"plan": plan.slug, "field": name, "v": block},
                name,
            )
        blocks.append(int(seconds // 60))
    return blocks[0], blocks[1]


# ---------------------------------------------------------------------------- the result


@dataclass(slots=True)
class EntryLine:
    """One entry's time inside the month (an entry across a month end is clipped to it)."""

    id: int
    case: str
    case_id: int
    by: str
    start_s: int  # seconds since 1970 UTC
    end_s: int
    in_hours_minutes: int
    out_of_hours_minutes: int
    billed_in_hours_minutes: int
    billed_out_of_hours_minutes: int
    billable: bool
    note: str
    zone: tzinfo
    long_entry: bool = False  # the whole entry, not only its part in the month, is over a day

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_s, self.zone)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.end_s, self.zone)


@dataclass
class SingleBalance:
    purchased: date
    expires: date
    minutes: int
    minutes_left: int

    @property
    def hours_left(self) -> str:
        return hours_text(self.minutes_left)


@dataclass
class SourceLine:
    """One source the month drew from, for the statement's "drawn from" table."""

    kind: str  # "monthly", "single" or "credit"
    label: str
    minutes: int


@dataclass
class Statement:
    organization: Organization
    plan: Plan
    month: date
    start: datetime  # first instant of the month, in the plan's zone
    end: datetime  # first instant of the next month
    entries: list[EntryLine]
    drawn_monthly: int
    drawn_single: int
    drawn_credit: int
    sources: list[SourceLine]
    overage_in_minutes: int
    overage_out_minutes: int
    balances: list[SingleBalance]
    credit_minutes_left: int
    lapsed_monthly_minutes: int
    lapsed_singles: list[SingleBalance] = field(default_factory=list)
    _clock: IsoClock | None = field(default=None, repr=False, compare=False)

    @property
    def currency(self) -> str:
        return self.plan.currency

    def iso(self, t: int) -> str:
        """An instant of this month as ISO 8601 text in the plan's zone."""
        clock = self._clock
        if clock is None:
            clock = self._clock = IsoClock(self.zone, epoch(self.start), epoch(self.end))
        return clock(t)

    @property
    def last_day(self) -> date:
        return engine_last_day(self.month)

    @property
    def zone(self) -> tzinfo:
        zone = self.start.tzinfo
        if zone is None:
            raise ValueError("a statement starts at an aware instant, in the plan's zone")
        return zone

    @property
    def overage_in_amount(self) -> Decimal:
        return money(self.overage_in_minutes, self.plan.rate_in_hours)

    @property
    def overage_out_amount(self) -> Decimal:
        return money(self.overage_out_minutes, self.plan.rate_out_of_hours)

    @property
    def overage_amount(self) -> Decimal:
        return self.overage_in_amount + self.overage_out_amount

    @property
    def billed_in_minutes(self) -> int:
        return sum(e.billed_in_hours_minutes for e in self.entries)

    @property
    def billed_out_minutes(self) -> int:
        return sum(e.billed_out_of_hours_minutes for e in self.entries)

    @property
    def non_billable_minutes(self) -> int:
        return sum(
            e.in_hours_minutes + e.out_of_hours_minutes for e in self.entries if not e.billable
        )

    @property
    def long_entries(self) -> int:
        """Entries longer than a working day: outliers to check before the statement goes out."""
        return sum(e.long_entry for e in self.entries)

    @property
    def long_entries_note(self) -> str:
        count = self.long_entries
        if not count:
            return ""
        return ngettext(
            "%(n)s entry is longer than a working day: check it before the statement goes out.",
            "%(n)s entries are longer than a working day: check them before the statement goes "
            "out.",
            count,
        ) % {"n": count}


# ---------------------------------------------------------------------------- months


class Months:
    """Plans, zones and bounds of an organization's months (cached: many are asked for)."""

    def __init__(self, organization: Organization) -> None:
        self.contracts: list[Contract] = sorted(
            Contract.objects.filter(organization=organization).select_related(
                "plan__calendar", "calendar"
            ),
            key=lambda c: (c.start, c.pk),
        )
        if not self.contracts:
            raise BillingError(
                BillingErrorCode.NO_PLAN,
                _("%(org)s has no contract, so no plan to bill by.") % {"org": organization},
            )
        self._starts = [c.start for c in self.contracts]
        self._contracts: dict[date, Contract] = {}

    def contract(self, month: date) -> Contract:
        """The contract in force at the month's end (the one whose terms its statement uses)."""
        contract = self._contracts.get(month)
        if contract is None:
            i = bisect_right(self._starts, engine_last_day(month)) - 1
            contract = self._contracts[month] = self.contracts[max(i, 0)]
        return contract

    def plan(self, month: date) -> Plan:
        return self.contract(month).plan

    def calendar(self, month: date) -> BusinessCalendar:
        """The hours that are "in hours": the customer's region where the contract names one."""
        return self.contract(month).business_calendar

    def zone(self, month: date) -> ZoneInfo:
        return ZoneInfo(self.calendar(month).timezone)

    def start(self, month: date) -> datetime:
        """First instant of ``month``; months tile time even when the zone changes between them."""
        zone = self.zone(month)
        return day_start(month, zone).astimezone(zone)

    def month_at(self, instant: datetime) -> date:
        """The month ``instant`` belongs to, each month read in its own zone."""
        month = month_of(instant.astimezone(UTC).date())  # at most a day off at either end
        if instant < self.start(month):
            return previous_month(month)
        if instant >= self.start(next_month(month)):
            return next_month(month)
        return month


def engine_last_day(month: date) -> date:
    return date.fromordinal(next_month(month).toordinal() - 1)


# ---------------------------------------------------------------------------- computing


@dataclass(frozen=True)
class _Single:
    """A single pack as the statement reads it: bought on a day, valid a year from it."""

    pk: int
    purchased: date
    hours: Decimal


@dataclass(frozen=True)
class _Monthly:
    """A monthly pack: full each month from ``start_month`` through ``end_month`` (None: on)."""

    pk: int
    hours: Decimal
    start_month: date
    end_month: date | None


def _sources(
    organization: Organization, until: datetime
) -> tuple[list[_Single], list[_Monthly], list[BreachCredit]]:
    packs = list(HourPack.objects.filter(organization=organization).order_by("pk"))
    singles = [
        _Single(p.pk, p.purchased, p.hours)
        for p in packs
        if p.kind == PackKind.SINGLE and p.purchased is not None
    ]
    monthly = [
        _Monthly(p.pk, p.hours, p.start_month, p.end_month)
        for p in packs
        if p.kind == PackKind.MONTHLY and p.start_month is not None
    ]
    monthly.sort(key=lambda p: (p.start_month, p.pk))
    credits = list(
        BreachCredit.objects.filter(organization=organization, granted_at__lt=until)
        .select_related("case")
        .order_by("granted_at", "pk")
    )
    return singles, monthly, credits


def _replay_from(month: date, singles: list[_Single], credits: list[BreachCredit]) -> date:
    """The earliest month whose draws can change a balance that ``month`` sees.

    Before the first availability of every single pack and credit that ``month`` can see (and of
    every pack valid at the start of the replay, recursively) nothing could have drawn on them,
    so every such source starts the replay full. Monthly packs start each month full anyway.
    """
    start = month
    for credit in credits:  # never expire: all of them; a day's margin for the zone
        start = min(start, month_of((credit.granted_at - timedelta(days=1)).date()))
    for pack in singles:
        if expiry(pack.purchased) > month and pack.purchased <= engine_last_day(month):
            start = min(start, month_of(pack.purchased))
    changed = True
    while changed:
        changed = False
        for pack in singles:
            if pack.purchased < start < expiry(pack.purchased):
                start = month_of(pack.purchased)
                changed = True
    return start


Row = tuple[int, int, int, bool, str, int, str, str]
"""(id, start, end, billable, case label, case id, agent email, note); instants as epochs."""


def _finished(organization: Organization, **lookups) -> QuerySet[TimeEntry]:
    """Finished entries, in work order. Every query below is a range of the index on
    (organization, start, end): an entry is found by when it starts, and the few that run into
    a month from before it are found by their end without reading the rows."""
    return TimeEntry.objects.filter(
        organization=organization, end__isnull=False, **lookups
    ).order_by("start", "id")


_LINE_FIELDS = [
    "id",
    "start",
    "end",
    "billable",
    "case__reference",
    "case_id",
    "agent__email",
    "note",
]


def _month_rows(organization: Organization, start: datetime, end: datetime) -> list[Row]:
    """Every finished entry with time in ``[start, end)``, or an instant entry inside it."""
    before = _finished(organization, start__lt=start, end__gt=start)
    inside = _finished(organization, start__gte=start, start__lt=end)
    return [
        (pk, a, b, billable, ref or f"#{case_id}", case_id, by, note)
        for query in (before, inside)
        for pk, a, b, billable, ref, case_id, by, note in epoch_rows(query, _LINE_FIELDS)
    ]


Span = tuple[int, int, int]
"""(id, start, end) of billable work, instants as epochs: all a replayed month needs."""


def _spans(organization: Organization, **lookups) -> Generator[Span, None, None]:
    return epoch_rows(_finished(organization, billable=True, **lookups), ["id", "start", "end"])


def build_statement(organization: Organization, month: date) -> Statement:
    """The statement of ``month`` (its first day) for ``organization``."""
    months = Months(organization)
    plan = months.plan(month)
    block_minutes(plan)  # refuse a plan that cannot bill whole minutes before any work
    month_start = months.start(month)
    month_end = months.start(next_month(month))
    singles, monthly, credits = _sources(organization, month_end)
    first = _replay_from(month, singles, credits)

    pack_of: dict[int, _Single] = {}
    single_packs = []  # earliest expiry first: the order they are drawn in
    for pack in sorted(singles, key=lambda p: (expiry(p.purchased), p.purchased, p.pk)):
        source = engine.Pack(("single", pack.pk), minutes_of_hours(pack.hours))
        pack_of[pack.pk] = pack
        single_packs.append(source)
    credit_sources = [
        engine.Credit(("credit", c.pk), minutes_of_hours(c.hours), epoch(c.granted_at))
        for c in credits
    ]
    ledger = engine.Ledger(single_packs, credit_sources)

    # Earlier months first, each with its own plan, zone and rules, only for what they drew.
    cursor = first
    running: list[Span] = []  # billable work that started before ``cursor`` and runs into it
    if first < month:
        running = list(
            _spans(organization, start__lt=months.start(first), end__gt=months.start(first))
        )
    while cursor < month:
        start, end = months.start(cursor), months.start(next_month(cursor))
        _replay_month(organization, months, cursor, running, single_packs, pack_of, monthly, ledger)
        running = [r for r in running if r[2] > epoch(end)]
        running += _spans(organization, start__gte=start, start__lt=end, end__gt=end)
        cursor = next_month(cursor)

    s, e = epoch(month_start), epoch(month_end)
    line, block_in, block_out = _month_line(months, month, month_start, s, e, single_packs, pack_of)
    month_packs = _monthly_packs(monthly, month)
    draws = engine.Draws()
    parts: list[engine.Part] = []
    lines: list[EntryLine] = []
    zone = months.zone(month)
    for row in _month_rows(organization, month_start, month_end):
        cut = engine.cut(line, row[1], row[2], block_in, block_out)
        if row[3]:
            parts += cut
        lines.append(_line(row, cut, zone, s, e))
    ledger.draw(parts, month_packs, draws)
    return _statement(
        organization,
        plan,
        month,
        month_start,
        month_end,
        lines,
        draws,
        month_packs,
        ledger,
        singles,
        credits,
    )


def _monthly_packs(monthly: list[_Monthly], month: date) -> list[engine.Pack]:
    """The month's monthly packs, full: unused hours never carry over."""
    return [
        engine.Pack(("monthly", p.pk), minutes_of_hours(p.hours))
        for p in monthly
        if p.start_month <= month and (p.end_month is None or month <= p.end_month)
    ]


def _replay_month(
    organization: Organization,
    months: Months,
    month: date,
    running: list[Span],
    single_packs: list[engine.Pack],
    pack_of: dict[int, _Single],
    monthly: list[_Monthly],
    ledger: engine.Ledger,
) -> None:
    """Draw an earlier month's billable work, only where some source can give time: work done
    while nothing is available, or after everything is spent, would be overage, which only that
    month's own statement needs."""
    start, end = months.start(month), months.start(next_month(month))
    s, e = epoch(start), epoch(end)
    spans = _spans(organization, start__gte=start, start__lt=end)
    try:
        line = None
        wake = s
        for _id, a, b in itertools.chain(running, spans):
            if b <= wake:  # every part of it starts before any source is available
                continue
            if line is None:  # the first work of the month: only now is its time line needed
                line, block_in, block_out = _month_line(
                    months, month, start, s, e, single_packs, pack_of
                )
                month_packs = _monthly_packs(monthly, month)
                draws = engine.Draws()
            ledger.draw(engine.cut(line, a, b, block_in, block_out), month_packs, draws)
            soonest = ledger.wake(month_packs, a, e)
            if soonest is None:
                break
            wake = soonest
    finally:
        spans.close()


def _month_line(
    months: Months,
    month: date,
    start: datetime,
    s: int,
    e: int,
    single_packs: list[engine.Pack],
    pack_of: dict[int, _Single],
) -> tuple[engine.Timeline, int, int]:
    """The month cut at its opening/closing instants and pack-validity midnights; its blocks.

    Also sets each single pack's validity instants in this month's zone.
    """
    plan = months.plan(month)
    zone = months.zone(month)
    cuts: list[int] = []
    for source in single_packs:
        pack = pack_of[source.key[1]]
        source.valid_from = epoch(day_start(pack.purchased, zone))
        source.valid_until = epoch(day_start(expiry(pack.purchased), zone))
        cuts += (source.valid_from, source.valid_until)
    end = from_epoch(e, zone)
    kernel = kernel_for(months.calendar(month))
    opened = [(epoch(a), epoch(b)) for a, b in kernel.open_intervals(start, end)]
    return engine.timeline(s, e, opened, cuts), *block_minutes(plan)


def _line(row: Row, parts: Sequence[engine.Part], zone: tzinfo, s: int, e: int) -> EntryLine:
    raw_in = raw_out = billed_in = billed_out = 0
    for a, b, in_hours, billed in parts:
        if in_hours:
            raw_in += b - a
            billed_in += billed
        else:
            raw_out += b - a
            billed_out += billed
    pk, start, end, billable, case, case_id, by, note = row
    long_entry = end - start > WORKING_DAY.total_seconds()
    if start != end:
        start, end = max(start, s), min(end, e)
    if not billable:
        billed_in = billed_out = 0
    return EntryLine(
        pk,
        case,
        case_id,
        by,
        start,
        end,
        raw_in // 60,
        raw_out // 60,
        billed_in,
        billed_out,
        bool(billable),
        note,
        zone,
        long_entry,
    )


def _statement(
    organization: Organization,
    plan: Plan,
    month: date,
    start: datetime,
    end: datetime,
    lines: list[EntryLine],
    draws: engine.Draws,
    month_packs: list[engine.Pack],
    ledger: engine.Ledger,
    singles: list[_Single],
    credits: list[BreachCredit],
) -> Statement:
    left = {p.key[1]: p for p in ledger.singles}
    next_first = next_month(month)
    balances, lapsed = [], []
    for pack in sorted(singles, key=lambda p: (expiry(p.purchased), p.purchased, p.pk)):
        expires = expiry(pack.purchased)
        source = left[pack.pk]
        balance = SingleBalance(pack.purchased, expires, source.minutes, source.left)
        if pack.purchased < next_first < expires:
            balances.append(balance)
        elif month < expires <= next_first:
            lapsed.append(balance)
    sources = []
    labels = {("monthly", p.key[1]): _("Monthly pack") for p in month_packs}
    for pack in singles:
        labels[("single", pack.pk)] = _("Single pack of %(day)s") % {
            "day": pack.purchased.isoformat()
        }
    for credit in credits:
        labels[("credit", credit.pk)] = _("Credit for %(case)s") % {"case": credit.case.label}
    for key, minutes in draws.by_source.items():
        if minutes:
            sources.append(SourceLine(key[0], labels.get(key, str(key)), minutes))
    return Statement(
        organization=organization,
        plan=plan,
        month=month,
        start=start,
        end=end,
        entries=lines,
        drawn_monthly=draws.monthly,
        drawn_single=draws.single,
        drawn_credit=draws.credit,
        sources=sources,
        overage_in_minutes=draws.overage_in,
        overage_out_minutes=draws.overage_out,
        balances=balances,
        credit_minutes_left=sum(c.left for c in ledger.credits),
        lapsed_monthly_minutes=sum(p.left for p in month_packs),
        lapsed_singles=lapsed,
    )
