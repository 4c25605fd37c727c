from django import template

from supportdesk.channels.sms.forms import TextMeForm
from supportdesk.channels.sms.services import can_text

register = template.Library()


@register.inclusion_tag("sms/_text_me.html", takes_context=True)
def text_me_link(context: template.Context) -> dict:
    """The "text me this link" form for the page being shown; nothing when the desk has no
    number to text from."""
    request = context["request"]
    return {
        "form": TextMeForm(initial={"page": request.path}) if can_text() else None,
        "csrf_token": context.get("csrf_token"),
    }
