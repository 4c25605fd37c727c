from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESTORATION = "restoration", _("Restoration")
    ON_SITE = "on_site", _("On-site visit")
    REPAIR = "repair", _("Repair")
    CONFIRMATION = "confirmation", _("Confirmation")
    COMPLETION = "completion", _("Completion")


#: Promises that start when something happens on the case (a visit is decided, a device is taken,
#: a request is submitted), not when the case is received.
ON_DEMAND_METRICS = frozenset(
    {Metric.ON_SITE, Metric.REPAIR, Metric.CONFIRMATION, Metric.COMPLETION}
)


class Entitlement(models.TextChoices):
    """What a plan can grant to contact roles: the rows of Zoom's entitlement matrix."""

    HELP_CENTER = "help_center", _("24/7 help centre")
    SELF_SERVICE = "self_service", _("Self-service articles and guides")
    CHATBOT = "chatbot", _("Chatbot")
    LIVE_CHAT = "live_chat", _("Live chat with an agent")
    TICKET_L1 = "ticket_l1", _("Level 1 support by web case")
    EMAIL_L1 = "email_l1", _("Level 1 support by email")
    CHAT_L1 = "chat_l1", _("Level 1 support by chat")
    PHONE_L1 = "phone_l1", _("Level 1 support by phone")
    TICKET_L2 = "ticket_l2", _("Direct Level 2 support by web case")
    EMAIL_L2 = "email_l2", _("Direct Level 2 support by email")
    CHAT_L2 = "chat_l2", _("Direct Level 2 support by chat")
    PHONE_L2 = "phone_l2", _("Direct Level 2 support by phone")


class Channel(models.TextChoices):
    """The ways a case comes in; plans name them in per-channel targets."""

    WEB = "web", _("Web")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SOCIAL = "social", _("Social network")
    API = "api", _("API")


def channel_label(code: str) -> str:
    """A channel as people read it ("SMS", "E-mail"), the code itself when it is unknown."""
    return str(Channel(code).label) if code in Channel.values else code


class Way(models.TextChoices):
    """The ways in that a plan grants by level (web cases and the API are both tickets)."""

    TICKET = "ticket"
    EMAIL = "email"
    CHAT = "chat"
    PHONE = "phone"


ALWAYS = "always"
