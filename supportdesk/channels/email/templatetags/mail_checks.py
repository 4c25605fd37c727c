"""What the case page shows of the mail a case received: whose sender could not be verified."""

from django import template

from supportdesk.channels.email.models import SenderCheck, sender_checks

register = template.Library()


@register.simple_tag
def unverified_senders(case_id: int) -> set[int]:
    """The case's messages that came by mail from a sender no DKIM or DMARC vouched for."""
    return {m for m, check in sender_checks(case_id).items() if check != SenderCheck.PASS}
