"""Template helpers of the phone pages, and the calls that other pages (the case page) show."""

from django import template
from django.db.models import QuerySet

from supportdesk.channels.voice import pages, recordings
from supportdesk.channels.voice.models import Call

register = template.Library()


@register.simple_tag
def case_calls(case_id: int) -> QuerySet[Call]:
    return pages.case_calls(case_id)


@register.filter
def call_length(seconds: int | None) -> str:
    """A call's length as a phone shows it: "4:05", "1:02:05"."""
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


@register.filter
def playable(url: str) -> bool:
    """Whether the desk can play the recording itself (it is on the carrier's API)."""
    return recordings.fetchable(url)
