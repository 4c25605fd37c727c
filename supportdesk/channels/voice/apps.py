from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceChannelConfig(AppConfig):
    name = "supportdesk.channels.voice"
    label = "voice_channel"
    verbose_name = _("Phone")
