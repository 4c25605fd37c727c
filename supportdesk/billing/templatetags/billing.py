from django import template

from supportdesk.billing.statement import hm as _hm
from supportdesk.billing.statement import hours_text

register = template.Library()


@register.filter
def hm(minutes: int | None) -> str:
    """Minutes as ``h:mm``."""
    return "" if minutes is None else _hm(int(minutes))


@register.filter
def hours(minutes: int) -> str:
    """Minutes as hours with two decimals."""
    return hours_text(int(minutes))
