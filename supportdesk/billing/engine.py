"""The billing arithmetic, in plain Python: no Django, no database, integers only.

Kept apart from the models so the rules read in one place, the statement can run 10,000 entries
in a few milliseconds, and the property tests can compare it with their own oracle.

Units. Instants are integer seconds since 1970 UTC; amounts of work are integer seconds until
they are rounded to blocks, which are whole minutes, so everything billed is whole minutes.

The billing rules, as this module applies them:

* **Parts.** A month's time line is cut at its *boundaries*: the plan calendar's opening and
  closing instants, the month's own first and last instant, and the first instant of every day
  on which a single pack becomes valid or expires. Each billable entry, clipped to the month,
  is cut at those boundaries into parts; a part is in hours when the calendar is open on it.
* **Rounding.** Every in-hours part is rounded up to whole ``block_in`` blocks, every
  out-of-hours part to whole ``block_out`` blocks, each part on its own.
* **Order.** Parts are drawn in the order the work was done: entries by (start, id), the parts
  of one entry in time order. A part draws all its billed minutes at the instant it starts.
* **Sources.** Each part's minutes come from the first source with time left that is available
  at that instant: the month's monthly packs (in the order given), then the single packs valid
  then (earliest expiry first), then breach credits granted at or before that instant (oldest
  first). What is left is overage, in or out of hours by where the part lies.

Because pack validity changes only at boundaries, a part lies wholly inside or outside every
pack's validity. Breach credits do not cut parts: a missed guarantee must not change how the
customer's work is rounded; a credit serves the parts that start at or after its breach.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MINUTE = 60


@dataclass(frozen=True, slots=True)
class Timeline:
    """A month cut at its boundaries: segment ``i`` is ``[bounds[i], bounds[i + 1])``."""

    bounds: list[int]
    opened: list[bool]

    @property
    def start(self) -> int:
        return self.bounds[0]

    @property
    def end(self) -> int:
        return self.bounds[-1]


def timeline(
    start: int, end: int, open_intervals: Sequence[tuple[int, int]], cuts: Iterable[int] = ()
) -> Timeline:
    """The month ``[start, end)`` with its open intervals (sorted, disjoint) and extra cuts."""
    points = {start, end}
    for a, b in open_intervals:
        points.add(max(a, start))
        points.add(min(b, end))
    points.update(c for c in cuts if start < c < end)
    bounds = sorted(p for p in points if start <= p <= end)
    opens = [a for a, _ in open_intervals]
    opened = []
    for p in bounds[:-1]:
        i = bisect_right(opens, p) - 1
        opened.append(i >= 0 and open_intervals[i][0] <= p < open_intervals[i][1])
    return Timeline(bounds, opened)


Part = tuple[int, int, bool, int]
"""(start, end, in hours, billed minutes rounded up to whole blocks). A plain tuple: a
statement makes tens of thousands of them and a tuple costs a tenth of a dataclass."""


def cut(line: Timeline, start: int, end: int, block_in: int, block_out: int) -> list[Part]:
    """Parts of ``[start, end)`` (clipped to the month), rounded; blocks are in minutes."""
    if start < line.bounds[0]:
        start = line.bounds[0]
    if end > line.bounds[-1]:
        end = line.bounds[-1]
    parts: list[Part] = []
    if end <= start:
        return parts
    bounds, opened = line.bounds, line.opened
    i = bisect_right(bounds, start) - 1
    in_s, out_s = block_in * MINUTE, block_out * MINUTE
    while start < end:
        stop = bounds[i + 1]
        if stop > end:
            stop = end
        if opened[i]:
            parts.append((start, stop, True, -((start - stop) // in_s) * block_in))
        else:
            parts.append((start, stop, False, -((start - stop) // out_s) * block_out))
        start = stop
        i += 1
    return parts


# ---------------------------------------------------------------------------- sources

#: What a source is known by: its kind ("monthly", "single", "credit") and its row's id.
SourceKey = tuple[str, int]


@dataclass(slots=True)
class Pack:
    """A monthly or single pack; a single pack is available in ``[valid_from, valid_until)``."""

    key: SourceKey
    minutes: int
    valid_from: int = 0
    valid_until: int = 0
    left: int = field(init=False)

    def __post_init__(self) -> None:
        self.left = self.minutes


@dataclass(slots=True)
class Credit:
    key: SourceKey
    minutes: int
    granted: int  # instant from which it may be drawn
    left: int = field(init=False)

    def __post_init__(self) -> None:
        self.left = self.minutes


@dataclass(slots=True)
class Draws:
    """What one month's parts took, and from where."""

    monthly: int = 0
    single: int = 0
    credit: int = 0
    overage_in: int = 0
    overage_out: int = 0
    by_source: dict[SourceKey, int] = field(default_factory=dict)

    def take(self, key: SourceKey, minutes: int) -> None:
        self.by_source[key] = self.by_source.get(key, 0) + minutes


class Ledger:
    """The balances of single packs and credits, carried from month to month.

    Credits are drained oldest first and each is available from its grant onward, so the
    drained ones are always a prefix of the list: one index replaces a scan.
    """

    def __init__(self, singles: Sequence[Pack], credits: Sequence[Credit]) -> None:
        """``singles`` earliest expiry first, ``credits`` oldest first: the orders of drawing."""
        self.singles = list(singles)
        self.credits = list(credits)
        self._next_credit = 0

    def wake(self, monthly: Sequence[Pack], at: int, until: int) -> int | None:
        """The first instant in ``[at, until)`` at which some source could give time; None when
        none can before ``until``. Work whose parts all start before it draws nothing."""
        if any(pack.left for pack in monthly):
            return at
        soonest = None
        for pack in self.singles:
            if pack.left and at < pack.valid_until and pack.valid_from < until:
                if pack.valid_from <= at:
                    return at
                soonest = pack.valid_from if soonest is None else min(soonest, pack.valid_from)
        for credit in itertools.islice(self.credits, self._next_credit, None):
            if credit.granted >= until:
                break
            if credit.left:
                if credit.granted <= at:
                    return at
                soonest = credit.granted if soonest is None else min(soonest, credit.granted)
                break  # the credits after it are granted later still
        return soonest

    def draw(self, parts: Iterable[Part], monthly: Sequence[Pack], draws: Draws) -> None:
        """Draw ``parts`` (already in work order) against the month's packs and the ledger."""
        singles = self.singles
        credits = self.credits
        ncredits = len(credits)
        for at, _end, in_hours, need in parts:
            if not need:
                continue
            for pack in monthly:
                if pack.left:
                    take = min(pack.left, need)
                    pack.left -= take
                    need -= take
                    draws.monthly += take
                    draws.take(pack.key, take)
                    if not need:
                        break
            if need:
                for pack in singles:
                    if pack.left and pack.valid_from <= at < pack.valid_until:
                        take = min(pack.left, need)
                        pack.left -= take
                        need -= take
                        draws.single += take
                        draws.take(pack.key, take)
                        if not need:
                            break
            if need:
                i = self._next_credit
                while need and i < ncredits and credits[i].granted <= at:
                    credit = credits[i]
                    take = min(credit.left, need)
                    credit.left -= take
                    need -= take
                    draws.credit += take
                    draws.take(credit.key, take)
                    if not credit.left:
                        i += 1
                self._next_credit = i
            if need:
                if in_hours:
                    draws.overage_in += need
                else:
                    draws.overage_out += need
