"""The write path for people: contacts, their registered addresses, agents and tokens, the
owner's confirmation by code, invitations, and the organization's audit history."""

import csv
import functools
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from supportdesk.accounts.access import works_the_desk
from supportdesk.accounts.choices import (
    ADMIN_ROLES,
    GRANTABLE_ROLES,
    AddressKind,
    ContactRole,
    OrganizationEventKind,
)
from supportdesk.accounts.models import (
    Agent,
    ApiToken,
    Brand,
    Contact,
    Invitation,
    Organization,
    OrganizationEvent,
    OwnerClaim,
    RegisteredAddress,
    Team,
    User,
)
from supportdesk.db import fetch_row, fetch_rows

#: The owner's code: how long it works, how many guesses it allows, how often a new one is sent.
OWNER_CODE_MINUTES = 10
OWNER_CODE_TRIES = 5
OWNER_CODE_RESEND_SECONDS = 60
#: Codes one link may send: with 5 tries each, at most 50 guesses of a million per link.
OWNER_CODES_PER_LINK = 10


class InvalidAddress(ValueError):
    pass


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    if "@" not in value or value.startswith("@") or value.endswith("@") or " " in value:
        raise InvalidAddress(f"{value!r} is not an email address")
    return value


@functools.lru_cache(maxsize=4096)
def normalize_phone(value: str) -> str:
    """E.164, so that '+351 21 000 0247' and '+351210000247' are one number. Kept per process:
    each step of a call normalises the same few numbers, and parsing one costs more than
    reading a row."""
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
    owners = {a.contact_id for a in fetch_rows(RegisteredAddress, "pk", kind=kind, value=value)}
    return contact_by_key(owners.pop()) if len(owners) == 1 else None


def contact_by_key(pk: int) -> Contact | None:
    """The contact with its organization and user, in one statement compiled once: a caller
    waits on it while the phone rings."""
    return fetch_row(Contact, related=("organization", "user"), pk=pk)


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
    extension: str | None = None,
    by_name: bool = True,
) -> Contact:
    """Create or update the contact of this organization known by its email (else, with
    ``by_name``, its name: the world file's way; a person joining by email never takes over a
    namesake). A new owner makes the previous one an administrator; ``extension`` None keeps
    the contact's."""
    email = normalize_email(email) if email else None
    phone = normalize_phone(phone) if phone else None
    contact = None
    if email:
        contact = organization.contacts.filter(
            addresses__kind=AddressKind.EMAIL, addresses__value=email
        ).first()
    if contact is None and by_name:
        contact = organization.contacts.filter(name=name).first()
    if contact is None:
        contact = Contact(organization=organization)
    if role == ContactRole.OWNER:
        organization.contacts.filter(role=ContactRole.OWNER).exclude(pk=contact.pk).update(
            role=ContactRole.ADMIN
        )
    contact.name, contact.role, contact.language = name, role, language
    if extension is not None:
        contact.extension = extension
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


class PeopleError(ValueError):
    """Why a change to an organization's people is refused, in words for the person who tried."""


class InvitationError(PeopleError):
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


@dataclass(frozen=True)
class InvitationRow:
    """One person to invite, as typed on the form or read from a line of a CSV file."""

    email: str
    role: str = ContactRole.MEMBER
    name: str = ""
    phone: str = ""
    extension: str = ""
    language: str = ""


class InvitationRowsError(InvitationError):
    """A file of invitations with mistakes: each line's, and nothing was stored."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{line}: {message}" for line, message in errors))


def _administers(user: User | None, organization: Organization) -> bool:
    """An administrator (or the owner) of the organization, or the desk serving it."""
    if user is None or not user.is_active:
        return False
    if works_the_desk(user):
        return Organization.objects.visible_to(user).filter(pk=organization.pk).exists()
    contact = user.contact_or_none
    return (
        contact is not None
        and contact.organization_id == organization.pk
        and contact.role in ADMIN_ROLES
    )


def record_event(
    organization: Organization,
    kind: OrganizationEventKind,
    *,
    actor: User | None,
    at: datetime,
    ip: str | None = None,
    **details: object,
) -> OrganizationEvent:
    """Append to the organization's audit history: who, when, from which address, what."""
    return OrganizationEvent.objects.create(
        organization=organization, kind=kind, actor=actor, at=at, ip=ip or None, details=details
    )


def _extension_taken(organization: Organization, extension: str, email: str) -> bool:
    """Whether another person of the organization has, or is invited with, this extension."""
    contacts = organization.contacts.filter(extension=extension).exclude(
        addresses__kind=AddressKind.EMAIL, addresses__value=email
    )
    invited = organization.invitations.filter(
        extension=extension, accepted_at__isnull=True
    ).exclude(email=email)
    return contacts.exists() or invited.exists()


def _checked(organization: Organization, row: InvitationRow) -> InvitationRow:
    """The row with its address and number normalised, or the first reason it cannot be sent."""
    if row.role == ContactRole.OWNER:
        raise InvitationError(_("The owner is recorded by the provider, not invited."))
    if row.role not in dict(GRANTABLE_ROLES):
        raise InvitationError(_("Choose a role."))
    try:
        email = normalize_email(row.email)
    except InvalidAddress:
        raise InvitationError(_("Enter a valid email address.")) from None
    # Only what the page shows already (this organization's people) is told apart: for any
    # other address the answer is the same, so no one learns who has an account elsewhere.
    existing = User.objects.filter(email=email, contact__organization=organization).first()
    if existing is not None and existing.has_usable_password():
        raise InvitationError(_("%(email)s already has an account.") % {"email": email})
    phone = ""
    if row.phone.strip():
        try:
            phone = normalize_phone(row.phone)
        except InvalidAddress:
            raise InvitationError(
                _("Enter the phone number in international form, like +48221000101.")
            ) from None
    extension = row.extension.strip()
    if extension and not (extension.isascii() and extension.isdigit() and len(extension) <= 8):
        raise InvitationError(_("An extension is up to 8 digits."))
    if extension and _extension_taken(organization, extension, email):
        raise InvitationError(
            _("Extension %(extension)s is someone else's already.") % {"extension": extension}
        )
    language = row.language.strip().lower()
    if language and language not in dict(settings.LANGUAGES):
        raise InvitationError(_("Choose one of the portal's languages."))
    return replace(
        row, email=email, name=row.name.strip(), phone=phone, extension=extension, language=language
    )


def _issue(
    organization: Organization, row: InvitationRow, *, invited_by: User, now: datetime
) -> tuple[Invitation, str]:
    """Store one checked invitation, replacing a pending one to the same address (so the newest
    link is the only one that works)."""
    secret = Invitation.new_secret()
    Invitation.objects.filter(
        organization=organization, email=row.email, accepted_at__isnull=True
    ).delete()
    invitation = Invitation.objects.create(
        organization=organization,
        email=row.email,
        name=row.name,
        role=row.role,
        phone=row.phone,
        extension=row.extension,
        language=row.language,
        digest=Invitation.hash(secret),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    return invitation, secret


def invite_contact(
    organization: Organization,
    *,
    email: str,
    role: str,
    invited_by: User,
    name: str = "",
    phone: str = "",
    extension: str = "",
    language: str = "",
    now: datetime | None = None,
    ip: str | None = None,
) -> tuple[Invitation, str]:
    """Invite a person to the organization's portal; returns the invitation and its secret.

    Only an administrator (or the owner) of the organization may invite; an extension is one
    person's within the organization.
    """
    row = InvitationRow(email, role, name, phone, extension, language)
    try:
        ((invitation, secret),) = invite_many(
            organization, [(1, row)], invited_by=invited_by, now=now, ip=ip
        )
    except InvitationRowsError as error:
        raise InvitationError(error.errors[0][1]) from None
    return invitation, secret


def invite_many(
    organization: Organization,
    rows: Iterable[tuple[int, InvitationRow]],
    *,
    invited_by: User,
    now: datetime | None = None,
    ip: str | None = None,
) -> list[tuple[Invitation, str]]:
    """Invite everyone on a list (lines of a file), or no one: every line's mistakes are
    reported together and nothing is stored until all are right."""
    now = now or timezone.now()
    if invited_by.contact_or_none is None or not _administers(invited_by, organization):
        raise InvitationError(_("Only an administrator of the organization can invite people."))
    checked: list[InvitationRow] = []
    errors: list[tuple[int, str]] = []
    emails: dict[str, int] = {}
    extensions: dict[str, int] = {}
    for line, row in rows:
        try:
            row = _checked(organization, row)
        except InvitationError as error:
            errors.append((line, str(error)))
            continue
        if row.email in emails:
            errors.append(
                (
                    line,
                    _("%(email)s is on line %(line)s too.")
                    % {"email": row.email, "line": emails[row.email]},
                )
            )
        elif row.extension and row.extension in extensions:
            errors.append(
                (
                    line,
                    _("Extension %(extension)s is on line %(line)s too.")
                    % {"extension": row.extension, "line": extensions[row.extension]},
                )
            )
        emails.setdefault(row.email, line)
        if row.extension:
            extensions.setdefault(row.extension, line)
        checked.append(row)
    if errors:
        raise InvitationRowsError(errors)
    if not checked:
        raise InvitationRowsError([(1, _("The file names no one to invite."))])
    issued = []
    with transaction.atomic():
        for row in checked:
            invitation, secret = _issue(organization, row, invited_by=invited_by, now=now)
            record_event(
                organization,
                OrganizationEventKind.INVITED,
                actor=invited_by,
                at=now,
                ip=ip,
                email=row.email,
                role=row.role,
                phone=row.phone,
                extension=row.extension,
            )
            issued.append((invitation, secret))
    return issued


#: The columns of a file of invitations; only ``email`` is required.
INVITATION_COLUMNS = ("email", "name", "role", "phone", "extension", "language")


def read_invitations(text: str) -> list[tuple[int, InvitationRow]]:
    """The rows of a CSV file of invitations (a header line naming the columns, then one person
    a line), each with its line number; a header without ``email`` is refused."""
    reader = csv.DictReader(text.splitlines(), skipinitialspace=True)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    if "email" not in header:
        raise InvitationRowsError(
            [
                (
                    1,
                    _("The first line names the columns: %(columns)s.")
                    % {"columns": ", ".join(INVITATION_COLUMNS)},
                )
            ]
        )
    unknown = [name for name in header if name not in INVITATION_COLUMNS]
    if unknown:
        raise InvitationRowsError(
            [(1, _("Unknown column: %(column)s.") % {"column": ", ".join(unknown)})]
        )
    reader.fieldnames = header
    rows = []
    for record in reader:
        if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
            continue
        values = {k: (v or "").strip() for k, v in record.items() if k in INVITATION_COLUMNS}
        values["role"] = (values.get("role") or ContactRole.MEMBER).lower()
        rows.append((reader.line_num, InvitationRow(**values)))
    return rows


def _invitation_for(actor: User, invitation: Invitation) -> None:
    if not _administers(actor, invitation.organization):
        raise InvitationError(_("Only an administrator of the organization can do this."))
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation was accepted already."))


def resend_invitation(
    invitation: Invitation, *, actor: User, now: datetime | None = None, ip: str | None = None
) -> str:
    """A new link for a pending invitation (the old one stops working), valid from now."""
    now = now or timezone.now()
    _invitation_for(actor, invitation)
    secret = Invitation.new_secret()
    with transaction.atomic():
        invitation.digest = Invitation.hash(secret)
        invitation.created_at = now
        invitation.expires_at = now + timedelta(days=settings.INVITATION_DAYS)
        invitation.save(update_fields=["digest", "created_at", "expires_at"])
        record_event(
            invitation.organization,
            OrganizationEventKind.INVITATION_RESENT,
            actor=actor,
            at=now,
            ip=ip,
            email=invitation.email,
        )
    return secret


def revoke_invitation(
    invitation: Invitation, *, actor: User, now: datetime | None = None, ip: str | None = None
) -> None:
    """Withdraw a pending invitation: its link stops working."""
    now = now or timezone.now()
    _invitation_for(actor, invitation)
    with transaction.atomic():
        record_event(
            invitation.organization,
            OrganizationEventKind.INVITATION_REVOKED,
            actor=actor,
            at=now,
            ip=ip,
            email=invitation.email,
            role=invitation.role,
        )
        invitation.delete()


def _person_for(actor: User, contact: Contact) -> None:
    """An administrator changes others, never themselves nor the owner (the provider does)."""
    if not _administers(actor, contact.organization):
        raise PeopleError(_("Only an administrator of the organization can do this."))
    if contact.role == ContactRole.OWNER:
        raise PeopleError(
            _("The owner stays the owner until the provider records and confirms a new one.")
        )
    if contact.user_id is not None and contact.user_id == actor.pk:
        raise PeopleError(_("Ask another administrator to change your own access."))


def change_role(
    contact: Contact,
    role: str,
    *,
    actor: User,
    now: datetime | None = None,
    ip: str | None = None,
) -> Contact:
    """Give a person another role; no one is made the owner this way."""
    now = now or timezone.now()
    _person_for(actor, contact)
    if role == ContactRole.OWNER:
        raise PeopleError(_("The owner is recorded by the provider and confirmed by a code."))
    if role not in dict(GRANTABLE_ROLES):
        raise PeopleError(_("Choose a role."))
    if role == contact.role:
        return contact
    with transaction.atomic():
        previous, contact.role = contact.role, role
        contact.save(update_fields=["role"])
        record_event(
            contact.organization,
            OrganizationEventKind.ROLE_CHANGED,
            actor=actor,
            at=now,
            ip=ip,
            name=contact.name,
            **{"from": previous, "to": role},
        )
    return contact


def set_active(
    contact: Contact,
    active: bool,
    *,
    actor: User,
    now: datetime | None = None,
    ip: str | None = None,
) -> Contact:
    """Deactivate a person (their sign-in, sessions and tokens stop working; their cases and
    addresses stay) or let them back in."""
    now = now or timezone.now()
    _person_for(actor, contact)
    user = contact.user
    if user is None:
        raise PeopleError(_("%(name)s has no sign-in.") % {"name": contact.name})
    if user.is_active == active:
        return contact
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        kind = OrganizationEventKind.REACTIVATED if active else OrganizationEventKind.DEACTIVATED
        record_event(contact.organization, kind, actor=actor, at=now, ip=ip, name=contact.name)
    return contact


# --- the owner ----------------------------------------------------------------------------


class OwnerError(PeopleError):
    """Why the owner cannot be recorded, or a code not sent or accepted; ``field`` names the
    value at fault."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


def _code_digest(claim: OwnerClaim, code: str) -> str:
    """The code's HMAC-SHA256 keyed with the site's secret key and bound to this claim."""
    return salted_hmac(
        "supportdesk.accounts.owner-code", f"{claim.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def _address_elsewhere(organization: Organization, email: str) -> bool:
    """Whether the address is an agent's or another organization's person's sign-in."""
    user = User.objects.filter(email=email).select_related("contact").first()
    if user is None:
        return False
    contact = user.contact_or_none
    if user.is_agent or user.is_staff or user.is_superuser:
        return True
    return contact is not None and contact.organization_id != organization.pk


def invite_owner(
    organization: Organization,
    *,
    email: str,
    by: User | None,
    name: str = "",
    language: str = "",
    note: str = "",
    now: datetime | None = None,
    ip: str | None = None,
) -> tuple[OwnerClaim, str]:
    """Record the buyer of the plan; returns the record and its link's secret.

    Only the provider's agents (or its command line, ``by`` None) do this. An organization
    with an owner has them replaced only with a note saying why; a pending record for the
    organization is replaced, so the newest link is the only one that works.
    """
    now = now or timezone.now()
    if by is not None and not (works_the_desk(by) and _administers(by, organization)):
        raise OwnerError(_("Only the provider's agents record an organization's owner."))
    try:
        email = normalize_email(email)
    except InvalidAddress:
        raise OwnerError(_("Enter a valid email address.")) from None
    language = language.strip().lower()
    if language and language not in dict(settings.LANGUAGES):
        raise OwnerError(_("Choose one of the portal's languages."), "language")
    note = note.strip()
    current = organization.contacts.filter(role=ContactRole.OWNER).first()
    if current is not None and not note:
        raise OwnerError(
            _("%(name)s is the owner: write a note saying why they are replaced.")
            % {"name": current.name},
            "note",
        )
    if _address_elsewhere(organization, email):
        raise OwnerError(_("This address belongs to an agent or to another organization."))
    secret = Invitation.new_secret()
    with transaction.atomic():
        organization.owner_claims.filter(claimed_at__isnull=True).delete()
        claim = OwnerClaim.objects.create(
            organization=organization,
            email=email,
            name=name.strip(),
            language=language,
            note=note,
            digest=Invitation.hash(secret),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_DAYS),
        )
        record_event(
            organization,
            OrganizationEventKind.OWNER_INVITED,
            actor=by,
            at=now,
            ip=ip,
            email=email,
            note=note,
            replaces=current.name if current else "",
        )
    return claim, secret


def pending_owner_claim(secret: str, now: datetime | None = None) -> OwnerClaim | None:
    """The owner's record this link opens, unless it was used or has expired."""
    now = now or timezone.now()
    return (
        OwnerClaim.objects.select_related("organization")
        .filter(digest=Invitation.hash(secret), claimed_at__isnull=True, expires_at__gt=now)
        .first()
    )


def code_wait(claim: OwnerClaim, now: datetime) -> int:
    """Seconds before a new code may be sent (0: now)."""
    if claim.code_sent_at is None:
        return 0
    ready = claim.code_sent_at + timedelta(seconds=OWNER_CODE_RESEND_SECONDS)
    return max(0, int((ready - now).total_seconds() + 0.999))


def code_usable(claim: OwnerClaim, now: datetime) -> bool:
    """Whether the last code sent can still be entered."""
    return (
        bool(claim.code_digest)
        and claim.code_expires_at is not None
        and now < claim.code_expires_at
        and claim.code_tries < OWNER_CODE_TRIES
    )


def send_owner_code(
    claim: OwnerClaim, *, now: datetime | None = None, ip: str | None = None
) -> str:
    """A new 6-digit code for the buyer (the previous one stops working); returns it to be
    mailed. At most one a minute."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = OwnerClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.codes_sent >= OWNER_CODES_PER_LINK:
            raise OwnerError(_("This link sent all its codes. Ask the provider for a new one."))
        wait = code_wait(claim, now)
        if wait:
            raise OwnerError(
                _("A new code can be sent in %(seconds)s s. Use the last one, or wait.")
                % {"seconds": wait}
            )
        code = f"{secrets.randbelow(10**6):06d}"
        claim.code_digest = _code_digest(claim, code)
        claim.code_sent_at = now
        claim.code_expires_at = now + timedelta(minutes=OWNER_CODE_MINUTES)
        claim.code_tries = 0
        claim.codes_sent += 1
        claim.verified_at = None
        claim.save(
            update_fields=[
                "code_digest", "code_sent_at", "code_expires_at", "code_tries", "codes_sent",
                "verified_at",
            ]
        )  # fmt: skip
        record_event(
            claim.organization,
            OrganizationEventKind.OWNER_CODE_SENT,
            actor=None,
            at=now,
            ip=ip,
            email=claim.email,
        )
    return code


def check_owner_code(
    claim: OwnerClaim, code: str, *, now: datetime | None = None, ip: str | None = None
) -> OwnerClaim:
    """Accept the code the buyer typed (compared in constant time) or say why not; five wrong
    tries use a code up, and an expired or used-up code needs a new one."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = OwnerClaim.objects.select_for_update().get(pk=claim.pk)
        if not claim.code_digest or claim.code_expires_at is None:
            refusal = _("Ask for a code first.")
        elif claim.code_tries >= OWNER_CODE_TRIES:
            refusal = _("Too many wrong codes. Ask for a new code.")
        elif now >= claim.code_expires_at:
            refusal = _("This code has expired. Ask for a new code.")
        else:
            claim.code_tries += 1
            if hmac.compare_digest(claim.code_digest, _code_digest(claim, code.strip())):
                claim.code_digest, claim.verified_at = "", now
                claim.save(update_fields=["code_tries", "code_digest", "verified_at"])
                return claim
            claim.save(update_fields=["code_tries"])
            record_event(
                claim.organization,
                OrganizationEventKind.OWNER_CODE_FAILED,
                actor=None,
                at=now,
                ip=ip,
                email=claim.email,
                tries=claim.code_tries,
            )
            left = OWNER_CODE_TRIES - claim.code_tries
            refusal = (
                _("Wrong code. %(left)s tries left.") % {"left": left}
                if left
                else _("Too many wrong codes. Ask for a new code.")
            )
    raise OwnerError(refusal)


def owner_needs_password(claim: OwnerClaim) -> bool:
    """Whether the buyer has no sign-in yet and chooses a password on the way."""
    user = User.objects.filter(email=claim.email).first()
    return user is None or not user.has_usable_password()


@transaction.atomic
def claim_ownership(
    claim: OwnerClaim,
    *,
    name: str = "",
    password: str | None = None,
    now: datetime | None = None,
    ip: str | None = None,
) -> User:
    """The buyer, having confirmed the code, becomes the owner: their contact and sign-in are
    made if needed (with the password chosen), and a previous owner becomes an administrator."""
    now = now or timezone.now()
    claim = OwnerClaim.objects.select_for_update().select_related("organization").get(pk=claim.pk)
    organization = Organization.objects.select_for_update().get(pk=claim.organization_id)
    if claim.claimed_at is not None or claim.verified_at is None or claim.expires_at <= now:
        raise OwnerError(_("This link no longer works. Ask the provider for a new one."))
    if _address_elsewhere(organization, claim.email):
        raise AddressTaken
    if owner_needs_password(claim) and not password:
        raise OwnerError(_("Choose a password."))
    previous = (
        organization.contacts.filter(role=ContactRole.OWNER)
        .exclude(addresses__kind=AddressKind.EMAIL, addresses__value=claim.email)
        .first()
    )
    if previous is not None:
        previous.role = ContactRole.ADMIN
        previous.save(update_fields=["role"])
        record_event(
            organization,
            OrganizationEventKind.ROLE_CHANGED,
            actor=claim.created_by,
            at=now,
            name=previous.name,
            note=claim.note,
            **{"from": ContactRole.OWNER, "to": ContactRole.ADMIN},
        )
    existing = organization.contacts.filter(
        addresses__kind=AddressKind.EMAIL, addresses__value=claim.email
    ).first()
    contact = save_contact(
        organization,
        name=name.strip() or (existing.name if existing else "") or claim.name or claim.email,
        role=ContactRole.OWNER,
        email=claim.email,
        language=claim.language or (existing.language if existing else ""),
        by_name=False,
    )
    user = contact.user
    if user is None:  # an owner always has an email, which gives the contact a sign-in
        raise OwnerError("owner has no email to sign in with")
    if password:
        user.set_password(password)
    user.name, user.is_active = contact.name, True
    if claim.language and not user.language:
        user.language = claim.language
    user.save(update_fields=["password", "name", "is_active", "language"])
    claim.claimed_at = now
    claim.save(update_fields=["claimed_at"])
    record_event(
        organization,
        OrganizationEventKind.OWNER_CLAIMED,
        actor=user,
        at=now,
        ip=ip,
        email=claim.email,
        replaced=previous.name if previous else "",
    )
    return user


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
    invitation: Invitation,
    *,
    name: str,
    password: str,
    now: datetime | None = None,
    ip: str | None = None,
) -> User:
    """The invited person sets a name and password: a contact with a registered address."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.expires_at <= now:
        raise InvitationError("invitation no longer valid")
    if _taken(invitation.organization, invitation.email):
        raise AddressTaken
    if invitation.extension and _extension_taken(
        invitation.organization, invitation.extension, invitation.email
    ):
        raise InvitationError(_("This extension is someone else's already."))
    contact = save_contact(
        invitation.organization,
        name=name.strip() or invitation.name or invitation.email,
        role=invitation.role,
        email=invitation.email,
        phone=invitation.phone or None,
        language=invitation.language,
        extension=invitation.extension or None,
        by_name=False,
    )
    user = contact.user
    if user is None:  # an invitation always has an email, which gives the contact a login
        raise InvitationError("invitation has no email to sign in with")
    user.set_password(password)
    user.name = contact.name
    user.language = invitation.language or user.language
    user.save(update_fields=["password", "name", "language"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    record_event(
        invitation.organization,
        OrganizationEventKind.INVITATION_ACCEPTED,
        actor=user,
        at=now,
        ip=ip,
        email=invitation.email,
        role=invitation.role,
    )
    return user


def save_preferences(user: User, *, timezone_name: str, language: str) -> User:
    """A person's own display choices: the time zone and language pages are shown in."""
    user.timezone, user.language = timezone_name, language
    user.save(update_fields=["timezone", "language"])
    return user
