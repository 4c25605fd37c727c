"""The write path for people: contacts, their registered addresses, agents and tokens."""

from collections.abc import Sequence
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.choices import ADMIN_ROLES, AddressKind, ContactRole
from supportdesk.accounts.models import (
    Agent,
    ApiToken,
    Brand,
    Contact,
    Invitation,
    Organization,
    RegisteredAddress,
    Team,
    User,
)


class InvalidAddress(ValueError):
    pass


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    if "@" not in value or value.startswith("@") or value.endswith("@") or " " in value:
        raise InvalidAddress(f"{value!r} is not an email address")
    return value


def normalize_phone(value: str) -> str:
    """E.164, so that '+351 21 000 0247' and '+351210000247' are one number."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise InvalidAddress(
            f"{value!r} is not a phone number in international form (+CC...)"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidAddress(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_address(value: str) -> tuple[str, str]:
    """Tell an email address from a phone number and normalise it."""
    if "@" in value:
        return AddressKind.EMAIL, normalize_email(value)
    return AddressKind.PHONE, normalize_phone(value)


def find_contact(address: str) -> Contact | None:
    """The contact that registered this email address or number, if exactly one did."""
    try:
        kind, value = normalize_address(address)
    except InvalidAddress:
        return None
    matches = list(
        Contact.objects.filter(addresses__kind=kind, addresses__value=value)
        .select_related("organization", "user")
        .distinct()[:2]
    )
    return matches[0] if len(matches) == 1 else None


def save_brand(slug: str, *, name: str, names: dict[str, str] | None = None) -> tuple[Brand, bool]:
    """Create or update the brand known by this key; returns it and whether anything changed."""
    values = {"name": name, "names": dict(names or {})}
    brand, created = Brand.objects.get_or_create(slug=slug, defaults=values)
    if created:
        return brand, True
    changed = [field for field, value in values.items() if getattr(brand, field) != value]
    for field in changed:
        setattr(brand, field, values[field])
    if changed:
        brand.save(update_fields=changed)
    return brand, bool(changed)


def save_organization(slug: str, *, name: str, brand: Brand | None = None) -> Organization:
    """Create or rename the organization known by this key (and make it a customer of
    ``brand`` when given); no write when nothing differs."""
    organization, created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "brand": brand}
    )
    changed = []
    if organization.name != name:
        organization.name = name
        changed.append("name")
    if brand is not None and organization.brand_id != brand.pk:
        organization.brand = brand
        changed.append("brand")
    if not created and changed:
        organization.save(update_fields=changed)
    return organization


@transaction.atomic
def save_contact(
    organization: Organization,
    *,
    name: str,
    role: str,
    email: str | None = None,
    phone: str | None = None,
    language: str = "",
) -> Contact:
    """Create or update the contact of this organization known by its email (else its name)."""
    email = normalize_email(email) if email else None
    phone = normalize_phone(phone) if phone else None
    contact = None
    if email:
        contact = organization.contacts.filter(
            addresses__kind=AddressKind.EMAIL, addresses__value=email
        ).first()
    if contact is None:
        contact = organization.contacts.filter(name=name).first()
    if contact is None:
        contact = Contact(organization=organization)
    contact.name, contact.role, contact.language = name, role, language
    contact.save()
    for kind, value in ((AddressKind.EMAIL, email), (AddressKind.PHONE, phone)):
        if value:
            RegisteredAddress.objects.get_or_create(contact=contact, kind=kind, value=value)
    if email:
        user = contact.user or User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, name=name, language=language)
        contact.user = user
        contact.save(update_fields=["user"])
    return contact


@transaction.atomic
def save_agent(
    *,
    name: str,
    email: str,
    level: str,
    teams: Sequence[str] = (),
    brand: Brand | None = None,
    all_brands: bool = False,
) -> Agent:
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, name=name, is_staff=True)
    elif user.name != name:
        user.name = name
        user.save(update_fields=["name"])
    agent, _ = Agent.objects.update_or_create(
        user=user, defaults={"level": level, "brand": brand, "all_brands": all_brands}
    )
    agent.teams.set(
        [
            Team.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
            for slug in teams
        ]
    )
    return agent


def issue_token(user: User, name: str) -> str:
    """Create a token and return its secret, which is not stored and cannot be shown again."""
    secret = ApiToken.new_secret()
    ApiToken.objects.create(user=user, name=name, digest=ApiToken.hash(secret))
    return secret


def user_for_token(secret: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__agent", "user__contact")
        .filter(digest=ApiToken.hash(secret), user__is_active=True)
        .first()
    )
    return token.user if token else None


def revoke_token(user: User, token_id: int) -> bool:
    """Delete one of the user's own tokens; False when the user has no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


class InvitationError(ValueError):
    """Why an invitation cannot be made or used, in words for the person who tried."""


class AddressTaken(InvitationError):
    """The invited address is another account's (an agent's, another organization's person's):
    found out only by the person who holds it, when they try to accept."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This address already belongs to an account. Sign in with it, or ask for an "
                "invitation to another address."
            )
        )


def _taken(organization: Organization, email: str) -> bool:
    """Whether accepting an invitation to ``email`` would take over another account: anyone's
    but a contact of this organization that has not set a password yet."""
    user = User.objects.filter(email=email).select_related("contact").first()
    if user is None:
        return False
    contact = user.contact_or_none
    if user.is_agent or user.is_staff or user.is_superuser or contact is None:
        return True
    return contact.organization_id != organization.pk or user.has_usable_password()


def invite_contact(
    organization: Organization,
    *,
    email: str,
    role: str,
    invited_by: User,
    name: str = "",
    now: datetime | None = None,
) -> tuple[Invitation, str]:
    """Invite a person to the organization's portal; returns the invitation and its secret.

    Only an administrator of the organization may invite. A pending invitation to the same
    address is replaced, so the newest link is the only one that works.
    """
    now = now or timezone.now()
    inviter = invited_by.contact_or_none
    if (
        inviter is None
        or inviter.organization_id != organization.pk
        or inviter.role not in ADMIN_ROLES
    ):
        raise InvitationError(_("Only an administrator of the organization can invite people."))
    if role not in ContactRole.values:
        raise InvitationError(_("Choose a role."))
    try:
        email = normalize_email(email)
    except InvalidAddress:
        raise InvitationError(_("Enter a valid email address.")) from None
    # Only what the page shows already (this organization's people) is told apart: for any
    # other address the answer is the same, so no one learns who has an account elsewhere.
    existing = User.objects.filter(email=email, contact__organization=organization).first()
    if existing is not None and existing.has_usable_password():
        raise InvitationError(_("%(email)s already has an account.") % {"email": email})
    secret = Invitation.new_secret()
    with transaction.atomic():
        Invitation.objects.filter(
            organization=organization, email=email, accepted_at__isnull=True
        ).delete()
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            name=name.strip(),
            role=role,
            digest=Invitation.hash(secret),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_DAYS),
        )
    return invitation, secret


def pending_invitation(secret: str, now: datetime | None = None) -> Invitation | None:
    """The invitation this secret opens, unless it was used or has expired."""
    now = now or timezone.now()
    return (
        Invitation.objects.select_related("organization")
        .filter(digest=Invitation.hash(secret), accepted_at__isnull=True, expires_at__gt=now)
        .first()
    )


@transaction.atomic
def accept_invitation(
    invitation: Invitation, *, name: str, password: str, now: datetime | None = None
) -> User:
    """The invited person sets a name and password: a contact with a registered address."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.expires_at <= now:
        raise InvitationError("invitation no longer valid")
    if _taken(invitation.organization, invitation.email):
        raise AddressTaken
    contact = save_contact(
        invitation.organization,
        name=name.strip() or invitation.name or invitation.email,
        role=invitation.role,
        email=invitation.email,
    )
    user = contact.user
    if user is None:  # an invitation always has an email, which gives the contact a login
        raise InvitationError("invitation has no email to sign in with")
    user.set_password(password)
    user.name = contact.name
    user.save(update_fields=["password", "name"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    return user


def save_preferences(user: User, *, timezone_name: str, language: str) -> User:
    """A person's own display choices: the time zone and language pages are shown in."""
    user.timezone, user.language = timezone_name, language
    user.save(update_fields=["timezone", "language"])
    return user
