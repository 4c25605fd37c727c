from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactRole(models.TextChoices):
    MEMBER = "member", _("Member")
    LICENSED_MEMBER = "licensed_member", _("Licensed member")
    ADMIN = "admin", _("Administrator")
    #: The organization's administrator who bought the plan and may sign for the organization.
    OWNER = "owner", _("Owner")


#: Roles that administer the organization's people and see all its cases.
ADMIN_ROLES = frozenset({ContactRole.ADMIN, ContactRole.OWNER})


def entitled_as(role: str) -> str:
    """The role whose entitlements apply: an owner is an administrator under every plan."""
    return ContactRole.ADMIN if role == ContactRole.OWNER else role


class AddressKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class AgentLevel(models.TextChoices):
    L1 = "L1", _("Level 1")
    L2 = "L2", _("Level 2")
