from django import template

from supportdesk.billing.statement import hm as _hm
from supportdesk.billing.statement import hours_shown

register = template.Library()


@register.filter
def hm(minutes: int | None) -> str:
    """Minutes as ``h:mm``."""
    return "" if minutes is None else _hm(int(minutes))


@register.filter
def hours(minutes: int) -> str:
    """Minutes as hours with two decimals, in the reader's number format."""
    return hours_shown(int(minutes))
