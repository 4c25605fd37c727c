"""Template helpers of the desk's pages: times as promises, durations, counts."""

from datetime import datetime, timedelta

from django import template
from django.utils import formats
from django.utils.html import format_html

from supportdesk.tickets import display

register = template.Library()


@register.filter
def promise(value: datetime | None) -> str:
    """ "Tuesday 18:00" in the viewer's zone and language."""
    return display.promise_time(value) if value else ""


@register.filter
def duration(value: timedelta | None) -> str:
    return display.span(value) if isinstance(value, timedelta) else "—"


@register.simple_tag
def moment(value: datetime | None, fmt: str = "DATETIME_FORMAT"):
    """A <time> element: machine-readable instant, human text in the viewer's zone."""
    if value is None:
        return "—"
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), display.local_format(value, fmt)
    )


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{formats.localize(value)} %"


@register.filter
def count_label(count: int | None) -> str:
    return "" if count is None else f" ({formats.number_format(count, force_grouping=True)})"


@register.filter
def running(value: str) -> str:
    """Day and month names as written inside a sentence in the active language."""
    return display.running_text(str(value))
