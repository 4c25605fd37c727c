from django.db import models
from django.utils.translation import gettext_lazy as _


class OptionKind(models.TextChoices):
    TEAM = "team", _("Ring a team")
    EXTENSION = "extension", _("Dial an extension")
    SUBMENU = "submenu", _("Another menu")
    VOICEMAIL = "voicemail", _("Leave a message")
    EXISTING_CASE = "existing_case", _("About an existing case")


class AfterHours(models.TextChoices):
    VOICEMAIL = "voicemail", _("Take a voicemail")
    FORWARD = "forward", _("Forward to the around-the-clock line")


class CallStep(models.TextChoices):
    """Where a call stands in the desk's conversation with the carrier."""

    PIN = "pin", _("Asked for a support PIN")
    MENU = "menu", _("In a menu")
    EXTENSION = "extension", _("Keying an extension")
    CASE_NUMBER = "case_number", _("Keying a case number")
    RINGING = "ringing", _("Ringing agents")
    VOICEMAIL = "voicemail", _("Recording a voicemail")
    ENDED = "ended", _("Ended")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    VOICEMAIL = "voicemail", _("Voicemail")
    ABANDONED = "abandoned", _("Abandoned")
    BUSY = "busy", _("Busy")
    NO_ANSWER = "no-answer", _("No answer")
    FAILED = "failed", _("Failed")


class WebhookKind(models.TextChoices):
    INCOMING = "incoming", _("Incoming call")
    GATHER = "gather", _("Keys pressed")
    DIAL = "dial", _("Dial finished")
    LEG = "leg", _("Agent leg")
    RECORDING = "recording", _("Recording")
    TRANSCRIPTION = "transcription", _("Transcription")
    STATUS = "status", _("Call status")
    OUTBOUND = "outbound", _("Call back answered")


class CallBackStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be placed")
    PLACED = "placed", _("Placed")
    FAILED = "failed", _("Failed")
