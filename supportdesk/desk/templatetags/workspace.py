"""The workspace's menu: how many chats wait for a person, for the badge beside "Chats"."""

from django import template

from supportdesk.accounts.access import is_agent
from supportdesk.channels.chat.choices import ConversationState
from supportdesk.channels.chat.models import Conversation

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_chats(context: template.Context) -> int:
    """Chats of the agent's brands waiting for a person: one count on the waiting index."""
    user = context.get("user")
    if not is_agent(user):
        return 0
    return Conversation.objects.visible_to(user).filter(state=ConversationState.WAITING).count()
