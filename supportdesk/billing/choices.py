from django.db import models
from django.utils.translation import gettext_lazy as _


class EntrySource(models.TextChoices):
    """How a time entry reached the desk; kept so a disputed line can be traced."""

    TIMER = "timer", _("Timer")
    TYPED = "typed", _("Typed")
    API = "api", _("API")
    IMPORT = "import", _("History import")


class PackKind(models.TextChoices):
    SINGLE = "single", _("Single pack")
    MONTHLY = "monthly", _("Monthly pack")
