from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESTORATION = "restoration", _("Restoration")


class PackKind(models.TextChoices):
    SINGLE = "single", _("Single pack")
    MONTHLY = "monthly", _("Monthly pack")


ALWAYS = "always"
