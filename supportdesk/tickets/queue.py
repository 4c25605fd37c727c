"""The agent queue: filters that live in the URL, paging on the queue index, counts per filter.

Rows come from the partial index on (next_due, id) of open cases, so the first page of
100,000 open cases costs a millisecond. Counts per filter value need a scan of every open
case, so they are computed at most every ``QUEUE_COUNTS_SECONDS`` per filter set and reach
the page from the cache, or a moment after it through htmx.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from supportdesk.accounts.access import brand_scope
from supportdesk.accounts.models import Organization, Team, User
from supportdesk.plans.models import BusinessCalendar
from supportdesk.tickets import search
from supportdesk.tickets.choices import OPEN_STATUSES, Channel, OutboxStatus, Priority, Status
from supportdesk.tickets.fast import open_cases
from supportdesk.tickets.models import Case, OutboundMessage, SlaClock

#: The filters, in the order the page shows them; each is one URL parameter.
DIMENSIONS = ("status", "priority", "channel", "team", "assignee", "organization")
FLAGS = ("overdue", "uncovered")
#: The statuses of the views of finished cases, beside the open queue.
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
NONE = "none"
ME = "me"


@dataclass
class QueueFilter:
    """The queue's filters as read from the URL; unknown values are dropped, never an error.

    Without a status the queue shows open cases; a search (``q``) looks at every case."""

    q: str = ""
    status: str = ""
    priority: str = ""
    channel: str = ""
    team: str = ""
    assignee: str = ""
    organization: str = ""
    overdue: bool = False
    uncovered: bool = False
    resolved: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def from_query(cls, query, user: User) -> "QueueFilter":
        status = query.get("status", "")
        values = {
            "q": search.clean(query.get("q", "")),
            "status": status if status in (*OPEN_STATUSES, *DONE_STATUSES) else "",
            "priority": query.get("priority", "")
            if query.get("priority") in Priority.values
            else "",
            "channel": query.get("channel", "") if query.get("channel") in Channel.values else "",
            "team": query.get("team", "")[:100],
            "assignee": query.get("assignee", "")[:20],
            "organization": query.get("organization", "")[:100],
            "overdue": query.get("overdue") == "1",
            "uncovered": query.get("uncovered") == "1",
        }
        selected = cls(**values)
        selected.resolve(user)
        return selected

    def resolve(self, user: User) -> None:
        """Turn the URL's slugs and ids into primary keys (one small query each, when used).

        The brands the user works on count as a filter too: agents of different brands have
        different counts, so they must never share them in the cache.
        """
        self.resolved["brands"] = repr(brand_scope(user))
        if self.team and self.team != NONE:
            self.resolved["team"] = (
                Team.objects.filter(slug=self.team).values_list("pk", flat=True).first()
            )
            if self.resolved["team"] is None:
                self.team = ""
        if self.assignee == ME:
            self.resolved["assignee"] = user.pk
        elif self.assignee and self.assignee != NONE:
            digits = self.assignee.isascii() and self.assignee.isdigit() and len(self.assignee) < 19
            pk = int(self.assignee) if digits else None  # an id the database can hold
            self.resolved["assignee"] = pk
            if pk is None:
                self.assignee = ""
        if self.organization and self.organization != NONE:
            self.resolved["organization"] = (
                Organization.objects.visible_to(user)
                .filter(slug=self.organization)
                .values_list("pk", flat=True)
                .first()
            )
            if self.resolved["organization"] is None:
                self.organization = ""

    @property
    def active(self) -> dict[str, str]:
        """The filters in use, as URL parameters."""
        params = {"q": self.q} if self.q else {}
        params.update({name: getattr(self, name) for name in DIMENSIONS if getattr(self, name)})
        params.update({name: "1" for name in FLAGS if getattr(self, name)})
        return params

    @property
    def by_due(self) -> bool:
        """Open cases come by what is due first; found and finished ones by their last change."""
        return not self.q and self.status not in DONE_STATUSES

    def conditions(self, now: datetime, *, skip: str | None = None) -> Q:
        if self.status in DONE_STATUSES and skip != "status":
            q = Q(status=self.status)
        elif self.q and skip != "status":
            q = Q()
        else:
            q = Q(open_cases())
        if self.q:
            q &= search.condition(self.q)
        for name in ("priority", "channel"):
            if getattr(self, name) and name != skip:
                q &= Q(**{name: getattr(self, name)})
        for name in ("team", "assignee", "organization"):
            value = getattr(self, name)
            if value and name != skip:
                if value == NONE:
                    q &= Q(**{f"{name}__isnull": True})
                else:
                    q &= Q(**{f"{name}_id": self.resolved.get(name)})
        if self.overdue and skip != "overdue":
            q &= Q(next_due__lte=now)
        if self.uncovered and skip != "uncovered":
            q &= Q(covered=False)
        if self.status in OPEN_STATUSES and skip != "status":
            q &= Q(status=self.status)
        return q

    def cases(self, user: User, now: datetime) -> QuerySet[Case]:
        cases = Case.objects.visible_to(user).filter(self.conditions(now))
        if self.q:
            return search.ordered(cases, self.q)
        return cases if self.by_due else cases.order_by("-updated_at", "-id")


@dataclass
class QueuePage:
    """One page of the queue, found without counting the whole queue.

    Open cases come by next due instant, then those with no running clock: two queries on the
    queue index instead of one ``ORDER BY next_due IS NULL, next_due`` that SQLite cannot
    serve from it. One row more than the page tells whether there is a next page; the total,
    which needs a scan of every matching case, comes from the cached counts when known.
    """

    rows: list
    number: int
    size: int
    has_next: bool
    total: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def num_pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.size))

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def by_next_due(cases: QuerySet[Case], start: int, count: int) -> list[Case]:
    """Rows ``start`` to ``start + count`` of ``cases`` by next due instant, undated ones last.

    Two index range scans instead of one ``ORDER BY next_due IS NULL, next_due`` that SQLite
    can only answer by sorting every matching row.
    """
    stop = start + count
    rows = list(cases.filter(next_due__isnull=False).order_by("next_due", "id")[start:stop])
    if len(rows) < count:
        # The dated cases end on this slice (the undated ones follow from the first), or they
        # ended before it (skip the undated ones already shown).
        seen = rows or start == 0
        dated = start if seen else cases.filter(next_due__isnull=False).count()
        offset = max(0, start - dated)
        undated = cases.filter(next_due__isnull=True).order_by("id")
        rows += list(undated[offset : offset + count - len(rows)])
    return rows


def fetch_page(cases: QuerySet[Case], number: int, size: int) -> QueuePage:
    rows = by_next_due(cases, (number - 1) * size, size + 1)
    return QueuePage(rows[:size], number, size, has_next=len(rows) > size)


def simple_page(items: QuerySet, number: int, size: int) -> QueuePage:
    """A page of any ordered queryset, one row more than the page and no count."""
    start = (number - 1) * size
    rows = list(items[start : start + size + 1])
    return QueuePage(rows[:size], number, size, has_next=len(rows) > size)


def running_clocks(cases: list[Case]) -> dict[int, SlaClock]:
    """For each case, the clock that orders it (the earliest due still running), with its
    calendar: two small queries rather than a prefetch, which clones a queryset per case and
    rebuilds a calendar (three JSON columns) per clock."""
    clocks = list(
        SlaClock.objects.filter(
            case_id__in=[case.pk for case in cases], met_at__isnull=True, due_at__isnull=False
        )
        .only("case_id", "metric", "guaranteed", "calendar_id", "due_at", "met_at", "breached_at")
        .order_by("due_at", "pk")
    )
    calendars = BusinessCalendar.objects.in_bulk({c.calendar_id for c in clocks} - {None})
    first: dict[int, SlaClock] = {}
    for clock in clocks:
        clock.calendar = calendars.get(clock.calendar_id)
        first.setdefault(clock.case_id, clock)  # earliest due first
    return first


def failed_mail(cases: list[Case]) -> set[int]:
    """The cases whose mail to the customer failed for good: flagged in the queue, so a reply
    that never arrived is not taken for one the customer has not answered."""
    return set(
        OutboundMessage.objects.filter(
            case_id__in=[case.pk for case in cases], status=OutboxStatus.FAILED
        ).values_list("case_id", flat=True)
    )


def total(selected: "QueueFilter", counts: dict | None) -> int | None:
    """How many cases match, read from the counts: every case has a priority, and priorities
    are counted under every other filter in use."""
    if counts is None:
        return None
    by_priority = counts["priority"]
    return by_priority.get(selected.priority, 0) if selected.priority else sum(by_priority.values())


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int | None = None


def _counts_key(selected: QueueFilter) -> str:
    # Resolved values too: "assignee=me" is a different filter for each agent.
    params = {**selected.active, **{f"_{k}": v for k, v in selected.resolved.items()}}
    raw = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return "queue-counts:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached_counts(selected: QueueFilter) -> dict | None:
    return cache.get(_counts_key(selected))


def compute_counts(selected: QueueFilter, user: User, now: datetime) -> dict:
    """Per dimension, how many open cases each value has under the other filters in use."""
    counts: dict[str, Any] = {}  # per dimension, value -> count; per flag, a count
    for name in DIMENSIONS:
        column = name if name in ("status", "priority", "channel") else f"{name}_id"
        rows = (
            Case.objects.visible_to(user)
            .filter(selected.conditions(now, skip=name))
            .values_list(column)
            .annotate(n=Count("id"))
            .order_by()
        )
        counts[name] = {(str(value) if value is not None else NONE): n for value, n in rows}
    for name in FLAGS:
        flag = Q(next_due__lte=now) if name == "overdue" else Q(covered=False)
        visible = Case.objects.visible_to(user)
        counts[name] = visible.filter(selected.conditions(now, skip=name) & flag).count()
    cache.set(_counts_key(selected), counts, settings.QUEUE_COUNTS_SECONDS)
    return counts


def options(selected: QueueFilter, counts: dict | None) -> dict[str, list[Option]]:
    """The choices of each filter, with their counts when known.

    Teams and agents are few and all listed; organizations are listed when they have open
    cases (or are the one selected), which needs the counts; without them, only the selection.
    """

    def count(name: str, value: object) -> int | None:
        return None if counts is None else counts[name].get(str(value), 0)

    result = {
        "status": [Option(s, str(Status(s).label), count("status", s)) for s in OPEN_STATUSES]
        + [Option(s, str(Status(s).label)) for s in DONE_STATUSES],
        "priority": [Option(p.value, str(p.label), count("priority", p.value)) for p in Priority],
        "channel": [Option(c.value, str(c.label), count("channel", c.value)) for c in Channel],
        "team": [
            Option(slug, name, count("team", pk))
            for pk, slug, name in Team.objects.order_by("name").values_list("pk", "slug", "name")
        ],
        "assignee": [
            Option(str(pk), name or email, count("assignee", pk))
            for pk, name, email in User.objects.filter(agent__isnull=False)
            .order_by("name", "email")
            .values_list("pk", "name", "email")
        ],
    }
    result["team"].append(Option(NONE, "—", count("team", NONE)))
    result["assignee"].append(Option(NONE, "—", count("assignee", NONE)))
    wanted = set()
    if counts is not None:
        wanted = {int(pk) for pk in counts["organization"] if pk != NONE}
    organization = selected.resolved.get("organization")
    if isinstance(organization, int):
        wanted.add(organization)
    result["organization"] = [
        Option(slug, name, count("organization", pk))
        for pk, slug, name in Organization.objects.filter(pk__in=wanted)
        .order_by("name")
        .values_list("pk", "slug", "name")
    ]
    if counts is not None and counts["organization"].get(NONE):
        result["organization"].append(Option(NONE, "—", counts["organization"][NONE]))
    return result
