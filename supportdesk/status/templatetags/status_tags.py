"""The status page's words in the reader's language."""

from django import template
from django.utils import formats

from supportdesk.status.choices import ComponentStatus
from supportdesk.status.models import Translated, Update

register = template.Library()


@register.filter
def name_in(item: Translated, language: str) -> str:
    return item.name_in(language)


@register.filter
def body_in(update: Update, language: str) -> str:
    return update.body_in(language)


@register.filter
def status_label(status: str | None) -> str:
    return str(ComponentStatus(status).label) if status else ""


@register.filter
def percent(share: float | None) -> str:
    """99.95 %: two decimals, as status pages show uptime, in the reader's number format
    ("99,95" in Polish); nothing without data."""
    return "" if share is None else formats.number_format(share * 100, 2)
