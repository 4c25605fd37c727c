"""The request a case is, for the agent's case page (``service_requests/_case_request.html``)."""

from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist

from supportdesk.service_requests import display
from supportdesk.tickets.models import Case

register = template.Library()


@register.simple_tag
def case_request(case: Case) -> dict[str, Any] | None:
    """Its fields, checklist and milestones; ``None`` when the case is not a request (no query
    when the page read the case with its ``service_request``)."""
    try:
        submitted = case.service_request
    except ObjectDoesNotExist:
        return None
    clocks = list(case.clocks.all())
    return {
        "request": submitted,
        "fields": display.field_views(submitted),
        "checklist": display.checklist(submitted),
        "milestones": display.milestones(submitted, clocks),
    }
