"""A deliberately naive model of issue 6's billing, owned by the tests.

It shares nothing with ``supportdesk.billing`` or ``supportdesk.sla``: it walks every UTC minute
of every entry, reads the local wall clock with zoneinfo, applies the calendar's weekly rules,
holidays and exceptions literally, groups equal consecutive minutes into parts, rounds them,
and draws month after month from the beginning of time with plain lists. A bug would have to be
written twice, in two very different styles, to pass unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from math import ceil
from zoneinfo import ZoneInfo

ONE_MINUTE = timedelta(minutes=1)


@dataclass
class Rules:
    zone: str
    weekly: dict[int, list[tuple[int, int]]]  # Monday = 0 → [(from, to)] in minutes of the day
    holidays: set[date]
    exceptions: dict[date, list[tuple[int, int]]]
    block_in: int
    block_out: int
    rate_in: Decimal
    rate_out: Decimal

    def is_open(self, local: datetime) -> bool:
        day = local.date()
        if day in self.exceptions:
            spans = self.exceptions[day]
        elif day in self.holidays:
            spans = []
        else:
            spans = self.weekly.get(day.weekday(), [])
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in spans)


@dataclass
class Entry:
    id: int
    start: datetime
    end: datetime
    billable: bool


@dataclass
class Single:
    id: int
    purchased: date
    hours: Decimal
    left: int = 0

    @property
    def expires(self) -> date:
        if self.purchased.month == 2 and self.purchased.day == 29:
            return date(self.purchased.year + 1, 3, 1)
        return date(self.purchased.year + 1, self.purchased.month, self.purchased.day)


@dataclass
class Monthly:
    id: int
    first: date
    last: date | None
    hours: Decimal


@dataclass
class Credit:
    id: int
    granted: datetime
    hours: Decimal
    left: int = 0


@dataclass
class Part:
    month: tuple[int, int]
    start: datetime
    day: date
    minutes: int
    in_hours: bool
    billed: int = 0


@dataclass
class Line:
    in_minutes: int = 0
    out_minutes: int = 0
    billed_in: int = 0
    billed_out: int = 0


@dataclass
class Result:
    lines: list[tuple[int, int, int, int, int, bool]] = field(default_factory=list)
    monthly: int = 0
    single: int = 0
    credit: int = 0
    over_in: int = 0
    over_out: int = 0
    amount: Decimal = Decimal(0)
    balances: list[tuple[date, date, int]] = field(default_factory=list)
    credit_left: int = 0
    lapsed_monthly: int = 0
    lapsed_single: list[tuple[date, date, int]] = field(default_factory=list)


def whole_minutes(hours: Decimal) -> int:
    return ceil(hours * 60)


def parts_of(entry: Entry, rules: Rules, singles: list[Single]) -> list[Part]:
    """Minute by minute: a new part whenever month, openness or the set of valid packs changes."""
    zone = ZoneInfo(rules.zone)
    parts: list[Part] = []
    previous = None
    t = entry.start
    while t < entry.end:
        local = t.astimezone(zone)
        day = local.date()
        key = (
            (day.year, day.month),
            rules.is_open(local),
            tuple(s.purchased <= day < s.expires for s in singles),
        )
        if key == previous:
            parts[-1].minutes += 1
        else:
            parts.append(Part(key[0], t, day, 1, key[1]))
            previous = key
        t += ONE_MINUTE
    for part in parts:
        block = rules.block_in if part.in_hours else rules.block_out
        part.billed = ceil(part.minutes / block) * block
    return parts


def month_start(month: tuple[int, int], zone: str) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def following(month: tuple[int, int]) -> tuple[int, int]:
    return (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)


def cent(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def bill(
    rules: Rules,
    entries: list[Entry],
    singles: list[Single],
    monthlies: list[Monthly],
    credits: list[Credit],
    target: tuple[int, int],
) -> Result:
    entries = sorted(entries, key=lambda e: (e.start, e.id))
    cut = {e.id: parts_of(e, rules, singles) for e in entries}
    for s in singles:
        s.left = whole_minutes(s.hours)
    for c in credits:
        c.left = whole_minutes(c.hours)
    singles_in_order = sorted(singles, key=lambda s: (s.expires, s.purchased, s.id))
    credits_in_order = sorted(credits, key=lambda c: (c.granted, c.id))
    months = sorted({p.month for parts in cut.values() for p in parts} | {target})
    result = Result()
    for month in months:
        if month > target:
            break
        packs = [
            [whole_minutes(m.hours)]
            for m in sorted(monthlies, key=lambda m: (m.first, m.id))
            if (m.first.year, m.first.month) <= month
            and (m.last is None or month <= (m.last.year, m.last.month))
        ]
        drawn = {"monthly": 0, "single": 0, "credit": 0, "in": 0, "out": 0}
        for entry in entries:
            if not entry.billable:
                continue
            for part in cut[entry.id]:
                if part.month != month:
                    continue
                need = part.billed
                for pack in packs:
                    take = min(pack[0], need)
                    pack[0] -= take
                    need -= take
                    drawn["monthly"] += take
                for s in singles_in_order:
                    if s.purchased <= part.day < s.expires:
                        take = min(s.left, need)
                        s.left -= take
                        need -= take
                        drawn["single"] += take
                for c in credits_in_order:
                    if c.granted <= part.start:
                        take = min(c.left, need)
                        c.left -= take
                        need -= take
                        drawn["credit"] += take
                drawn["in" if part.in_hours else "out"] += need
        if month == target:
            result.monthly, result.single, result.credit = (
                drawn["monthly"],
                drawn["single"],
                drawn["credit"],
            )
            result.over_in, result.over_out = drawn["in"], drawn["out"]
            result.lapsed_monthly = sum(p[0] for p in packs)
    result.amount = cent(result.over_in * rules.rate_in / 60) + cent(
        result.over_out * rules.rate_out / 60
    )
    first = date(target[0], target[1], 1)
    after = date(*following(target), 1)
    for s in singles_in_order:
        if s.purchased < after < s.expires:
            result.balances.append((s.purchased, s.expires, s.left))
        elif first < s.expires <= after:
            result.lapsed_single.append((s.purchased, s.expires, s.left))
    end = month_start(following(target), rules.zone)
    result.credit_left = sum(c.left for c in credits if c.granted < end)
    for entry in entries:
        parts = [p for p in cut[entry.id] if p.month == target]
        local = entry.start.astimezone(ZoneInfo(rules.zone)).date()
        if not parts and not (entry.start == entry.end and (local.year, local.month) == target):
            continue
        line = Line()
        for p in parts:
            if p.in_hours:
                line.in_minutes += p.minutes
                line.billed_in += p.billed if entry.billable else 0
            else:
                line.out_minutes += p.minutes
                line.billed_out += p.billed if entry.billable else 0
        result.lines.append(
            (
                entry.id,
                line.in_minutes,
                line.out_minutes,
                line.billed_in,
                line.billed_out,
                entry.billable,
            )
        )
    return result
