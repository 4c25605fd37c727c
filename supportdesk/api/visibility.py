"""What each caller may read besides cases (those have ``Case.objects.visible_to``).

One function per model, so no endpoint filters by hand: agents see everything; a customer sees
their own organization and its plans; contacts are for the organization's administrators, and
a member sees only themselves.
"""

from django.db.models import QuerySet

from supportdesk.accounts.choices import ContactRole
from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.api.auth import sees_everything
from supportdesk.plans.models import Plan


def organizations(user: User) -> QuerySet[Organization]:
    if sees_everything(user):
        return Organization.objects.all()
    contact = user.contact_or_none
    if contact is None:
        return Organization.objects.none()
    return Organization.objects.filter(pk=contact.organization_id)


def contacts(user: User) -> QuerySet[Contact]:
    if sees_everything(user):
        return Contact.objects.all()
    contact = user.contact_or_none
    if contact is None:
        return Contact.objects.none()
    if contact.role == ContactRole.ADMIN:
        return Contact.objects.filter(organization_id=contact.organization_id)
    return Contact.objects.filter(pk=contact.pk)


def plans(user: User) -> QuerySet[Plan]:
    if sees_everything(user):
        return Plan.objects.all()
    contact = user.contact_or_none
    if contact is None:
        return Plan.objects.none()
    return Plan.objects.filter(contracts__organization_id=contact.organization_id).distinct()
