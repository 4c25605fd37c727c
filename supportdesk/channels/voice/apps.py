from django.apps import AppConfig, apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

#: The rows a call's steps read of the set-up (``setup.py``): numbers with their hours, menu
#: and brand, menus and options, agents' lines and teams, support PINs.
SETUP = (
    "voice_channel.PhoneNumber",
    "voice_channel.Menu",
    "voice_channel.MenuOption",
    "voice_channel.AgentLine",
    "voice_channel.SupportPin",
    "accounts.Agent",
    "accounts.Team",
    "accounts.Brand",
    "plans.BusinessCalendar",
)


class VoiceChannelConfig(AppConfig):
    name = "supportdesk.channels.voice"
    label = "voice_channel"
    verbose_name = _("Phone")

    def ready(self) -> None:
        from supportdesk.accounts.models import Agent
        from supportdesk.channels.voice.setup import changed

        for label in SETUP:
            model = apps.get_model(label)
            post_save.connect(changed, sender=model, dispatch_uid=f"phone-setup-{label}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"phone-setup-del-{label}")
        m2m_changed.connect(changed, sender=Agent.teams.through, dispatch_uid="phone-setup-teams")
