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


#: Roles an organization's administrator may give: the owner is recorded by the provider.
GRANTABLE_ROLES = [
    (value, label) for value, label in ContactRole.choices if value != ContactRole.OWNER
]


class OrganizationEventKind(models.TextChoices):
    """What the organization's audit history records about its people."""

    OWNER_INVITED = "owner_invited", _("Owner recorded")
    OWNER_CODE_SENT = "owner_code_sent", _("Owner's code sent")
    OWNER_CODE_FAILED = "owner_code_failed", _("Wrong owner's code")
    OWNER_CLAIMED = "owner_claimed", _("Owner confirmed")
    INVITED = "invited", _("Invitation sent")
    INVITATION_RESENT = "invitation_resent", _("Invitation sent again")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
    ROLE_CHANGED = "role_changed", _("Role changed")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")


class AddressKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class AgentLevel(models.TextChoices):
    L1 = "L1", _("Level 1")
    L2 = "L2", _("Level 2")
