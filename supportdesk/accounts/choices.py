from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactRole(models.TextChoices):
    MEMBER = "member", _("Member")
    LICENSED_MEMBER = "licensed_member", _("Licensed member")
    ADMIN = "admin", _("Administrator")


class AddressKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class AgentLevel(models.TextChoices):
    L1 = "L1", _("Level 1")
    L2 = "L2", _("Level 2")
