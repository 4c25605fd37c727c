from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationState(models.TextChoices):
    BOT = "bot", _("With the assistant")
    WAITING = "waiting", _("Waiting for an agent")
    LIVE = "live", _("With an agent")
    CASE = "case", _("Passed on as a case")
    CLOSED = "closed", _("Closed")


#: States in which a person, not the assistant, answers the customer.
HANDED_OFF = (ConversationState.WAITING, ConversationState.LIVE, ConversationState.CASE)


class Sender(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    BOT = "bot", _("Assistant")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("Desk")
