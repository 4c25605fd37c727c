"""The SLA dashboard: per plan and month, cases, guaranteed clocks met and breached, response
and restoration times (percentiles of working time), and the breaches of each day.

Read-only. A handful of queries per month whatever the number of cases: counts in SQL, the
met clocks' working times in bulk on the kernel's array API, one calendar at a time.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import numpy as np
import pygal
from django.db.models import Count, Q
from django.utils import formats
from django.utils.translation import gettext as _
from pygal.style import Style

from supportdesk.accounts.models import User
from supportdesk.plans.choices import Metric
from supportdesk.plans.models import BusinessCalendar, Plan, kernel_for
from supportdesk.tickets.models import Case, SlaClock

PERCENTILES = (50, 90)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)

CSV_COLUMNS = [
    "plan",
    "month",
    "cases",
    "guaranteed_clocks",
    "met",
    "breached",
    "running",
    "met_percent",
    "breached_percent",
    "first_response_p50_minutes",
    "first_response_p90_minutes",
    "restoration_p50_minutes",
    "restoration_p90_minutes",
]


@dataclass
class PlanRow:
    plan_id: int | None
    name: str
    cases: int = 0
    met: int = 0
    breached: int = 0
    running: int = 0
    first_response: dict[int, timedelta] = field(default_factory=dict)
    restoration: dict[int, timedelta] = field(default_factory=dict)

    @property
    def clocks(self) -> int:
        return self.met + self.breached + self.running

    def _percent(self, part: int) -> float | None:
        decided = self.met + self.breached
        return round(100 * part / decided, 1) if decided else None

    @property
    def met_percent(self) -> float | None:
        return self._percent(self.met)

    @property
    def breached_percent(self) -> float | None:
        return self._percent(self.breached)


@dataclass
class Report:
    month: date
    start: datetime
    end: datetime
    rows: list[PlanRow]
    days: list[date]
    breaches: dict[str, list[int]]

    @property
    def total_breaches(self) -> int:
        return sum(sum(values) for values in self.breaches.values())


def month_bounds(month: date, zone: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=zone)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, datetime.combine(following, time(0), tzinfo=zone)


def _percentiles(values: list[int]) -> dict[int, timedelta]:
    if not values:
        return {}
    points = np.percentile(np.array(values, dtype=np.int64), PERCENTILES)
    return {p: timedelta(microseconds=int(v)) for p, v in zip(PERCENTILES, points, strict=True)}


def build(month: date, zone: tzinfo, user: User) -> Report:
    """The month (in ``zone``) of the cases ``user`` sees: received, their clocks, and the
    breaches of each day."""
    start, end = month_bounds(month, zone)
    plans: dict[int | None, str] = {p.pk: p.name for p in Plan.objects.only("name")}
    rows: dict[int | None, PlanRow] = {}

    def row(plan_id: int | None) -> PlanRow:
        if plan_id not in rows:
            rows[plan_id] = PlanRow(plan_id, plans.get(plan_id) or _("No plan"))
        return rows[plan_id]

    received = Case.objects.visible_to(user).filter(received_at__gte=start, received_at__lt=end)
    for plan_id, n in received.values_list("plan_id").annotate(n=Count("id")).order_by():
        row(plan_id).cases = n

    clocks = SlaClock.objects.visible_to(user).filter(
        case__received_at__gte=start, case__received_at__lt=end
    )
    tally = (
        clocks.filter(guaranteed=True)
        .values_list("case__plan_id")
        .annotate(
            n_breached=Count("id", filter=Q(breached_at__isnull=False)),
            n_met=Count("id", filter=Q(breached_at__isnull=True, met_at__isnull=False)),
            n_running=Count("id", filter=Q(breached_at__isnull=True, met_at__isnull=True)),
        )
        .order_by()
    )
    for plan_id, breached, met, running in tally:
        target = row(plan_id)
        target.breached, target.met, target.running = breached, met, running

    # Working time to meet each met clock, per calendar, minus the time it stood paused.
    spans: dict[tuple[int | None, str], list[int]] = defaultdict(list)
    by_calendar: dict[int | None, list[tuple]] = defaultdict(list)
    for item in clocks.filter(met_at__isnull=False).values_list(
        "calendar_id", "case__plan_id", "metric", "started_at", "met_at", "paused_work"
    ):
        by_calendar[item[0]].append(item[1:])
    calendars = BusinessCalendar.objects.in_bulk([pk for pk in by_calendar if pk is not None])
    for calendar_id, items in by_calendar.items():
        kernel = kernel_for(calendars.get(calendar_id))
        worked = kernel.between_many([i[2] for i in items], [i[3] for i in items])
        for (plan_id, metric, _start, _met, paused), span in zip(items, worked, strict=True):
            micros = int(span.astype("timedelta64[us]").astype(np.int64))
            micros -= int(paused.total_seconds() * 1_000_000)
            spans[(plan_id, metric)].append(max(0, micros))
    for (plan_id, metric), values in spans.items():
        if metric == Metric.FIRST_RESPONSE:
            row(plan_id).first_response = _percentiles(values)
        else:
            row(plan_id).restoration = _percentiles(values)

    days = []
    day = start.date()
    while day < end.date():
        days.append(day)
        day += timedelta(days=1)
    index = {d: i for i, d in enumerate(days)}
    breaches: dict[str, list[int]] = {}
    for plan_id, at in (
        SlaClock.objects.visible_to(user)
        .filter(guaranteed=True, breached_at__gte=start, breached_at__lt=end)
        .values_list("case__plan_id", "breached_at")
    ):
        if at is None:  # excluded by the filter; the column is nullable
            continue
        name = row(plan_id).name
        series = breaches.setdefault(name, [0] * len(days))
        local_day = at.astimezone(zone).date()
        if local_day in index:
            series[index[local_day]] += 1

    ordered = sorted(rows.values(), key=lambda r: (r.plan_id is None, r.name))
    return Report(month, start, end, ordered, days, dict(sorted(breaches.items())))


def minutes(value: timedelta | None) -> str:
    return "" if value is None else str(round(value.total_seconds() / 60))


def csv_rows(report: Report) -> list[list[str]]:
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    return [
        [
            r.name,
            f"{report.month:%Y-%m}",
            str(r.cases),
            str(r.clocks),
            str(r.met),
            str(r.breached),
            str(r.running),
            number(r.met_percent),
            number(r.breached_percent),
            minutes(r.first_response.get(50)),
            minutes(r.first_response.get(90)),
            minutes(r.restoration.get(50)),
            minutes(r.restoration.get(90)),
        ]
        for r in report.rows
    ]


CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#57606a",
    opacity="1",
    opacity_hover=".85",
    colors=("#0550ae", "#a40e26", "#116329", "#7d4e00", "#6639ba", "#1b7c83", "#953800"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
)


def breach_chart(report: Report, *, nonce: str) -> str:
    """Breaches per day, one stacked series per plan, as an inline SVG (no script); its style
    sheet carries the page's ``nonce`` so that the Content-Security-Policy lets it apply."""
    highest = max((sum(day) for day in zip(*report.breaches.values(), strict=True)), default=0)
    step = max(1, -(-highest // 5))  # whole breaches on the axis, at most about six labels
    chart = pygal.StackedBar(
        style=CHART_STYLE,
        width=900,
        height=380,
        js=[],
        disable_xml_declaration=True,
        show_legend=bool(report.breaches),
        print_values=False,
        show_y_guides=True,
        y_title=_("Breaches"),
        x_title=formats.date_format(report.month, "YEAR_MONTH_FORMAT"),
        no_data_text=_("No breaches this month"),
        title=_("Guaranteed clocks breached per day"),
        truncate_legend=40,
    )
    chart.x_labels = [str(d.day) for d in report.days]
    if report.breaches:  # pygal cannot place labels on an empty chart
        chart.config.y_labels = list(range(0, max(highest, 1) + step, step))
    for name, values in report.breaches.items():
        chart.add(name, values)
    # pygal embeds its tooltip configuration as an inline script and hides the tooltip with a
    # style attribute: the page needs neither (supportdesk.css hides it), and its policy refuses
    # both. Its style sheet stays, with the page's nonce.
    svg = _SCRIPT.sub("", chart.render(is_unicode=True)).replace(' style="opacity: 0"', "", 1)
    return svg.replace("<style ", f'<style nonce="{nonce}" ', 1)
