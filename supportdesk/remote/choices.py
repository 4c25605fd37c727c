from django.db import models
from django.utils.translation import gettext_lazy as _


class Tool(models.TextChoices):
    """The remote-desktop tools agents use; the names are the products' own."""

    ANYDESK = "anydesk", "AnyDesk"
    RUSTDESK = "rustdesk", "RustDesk"
    TEAMVIEWER = "teamviewer", "TeamViewer"
    OTHER = "other", _("Other")


class ConsentState(models.TextChoices):
    """Where a request for consent stands at a given instant."""

    WAITING = "waiting", _("Waiting for the customer")
    GIVEN = "given", _("Consent given")
    EXPIRED = "expired", _("Expired unused")
    USED = "used", _("Used for a session")
