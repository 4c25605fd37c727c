"""People: organizations and their contacts, agents and teams, and how they sign in."""

import hashlib
import secrets
from typing import ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.choices import (
    ADMIN_ROLES,
    AddressKind,
    AgentLevel,
    ContactRole,
    OrganizationEventKind,
)
from supportdesk.db import fetch_rows


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """Anyone who signs in: an agent (``is_agent``) or a customer contact (``contact``)."""

    # No username: people sign in with their email. The stubs type AbstractUser's as a field.
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=8, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    # The stubs expect AbstractUser's manager, whose create_user takes a username.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_agent(self) -> bool:
        return hasattr(self, "agent")

    @property
    def contact_or_none(self) -> "Contact | None":
        return getattr(self, "contact", None)


class Brand(models.Model):
    """A provider the desk serves under its own name (Zendesk's brand): its plans, calendars,
    mailboxes, agents and customers stay apart from the others'. A desk of one provider needs
    none."""

    slug = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(
        _("name per language"),
        default=dict,
        blank=True,
        help_text=_('Where the name differs by language, e.g. {"pl": "...", "pt": "..."}.'),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str | None) -> str:
        """The name customers read in ``language`` (the brand's own name when none is set)."""
        return self.names.get((language or "")[:2]) or self.name


class OrganizationQuerySet(RestrictedQuerySet["Organization"]):
    def for_contact(self, contact: "Contact", action: Action) -> "OrganizationQuerySet":
        return self.filter(pk=contact.organization_id)


class Organization(models.Model):
    slug = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    #: The provider whose customer this is: its plan's brand, kept so by the services.
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("brand"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(RestrictedQuerySet["Contact"]):
    """An organization's administrator sees its contacts; anyone else only themselves."""

    brand_path = "organization__brand"

    def for_contact(self, contact: "Contact", action: Action) -> "ContactQuerySet":
        if contact.role in ADMIN_ROLES:
            return self.filter(organization_id=contact.organization_id)
        return self.filter(pk=contact.pk)


class Contact(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="contacts")
    user = models.OneToOneField(
        User, models.SET_NULL, null=True, blank=True, related_name="contact"
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    #: The internal number that reaches this person through the organization's main number.
    extension = models.CharField(_("extension"), max_length=8, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(role=ContactRole.OWNER),
                name="one_owner",
                violation_error_message=_("An organization has one owner."),
            ),
            models.UniqueConstraint(
                fields=["organization", "extension"],
                condition=~Q(extension=""),
                name="contact_extension_once",
                violation_error_message=_("This extension is someone else's already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str | None:
        return self._first_address(AddressKind.EMAIL)

    @property
    def phone(self) -> str | None:
        return self._first_address(AddressKind.PHONE)

    def _first_address(self, kind: str) -> str | None:
        """From the addresses prefetched for a list, or read by key with SQL compiled once
        (every case a contact opens names its address)."""
        if "addresses" in getattr(self, "_prefetched_objects_cache", {}):
            addresses = list(self.addresses.all())
        else:
            addresses = fetch_rows(RegisteredAddress, "pk", contact_id=self.pk)
        return next((a.value for a in addresses if a.kind == kind), None)


class RegisteredAddress(models.Model):
    """An email address or E.164 number registered on a contact: what buys a guarantee."""

    contact = models.ForeignKey(Contact, models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=AddressKind.choices)
    value = models.CharField(max_length=254)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "value"], name="address_once"),
            # Stored in the form ``find_contact`` looks up: lower-case email, E.164 number.
            models.CheckConstraint(
                condition=Q(kind=AddressKind.EMAIL, value__contains="@", value=Lower("value"))
                | Q(kind=AddressKind.PHONE, value__startswith="+"),
                name="address_normalised",
                violation_error_message=_(
                    "Write an email address in lower case, or a phone number as +CC..."
                ),
            ),
        ]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return self.value


class Team(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)

    def __str__(self) -> str:
        return self.name


class AgentQuerySet(RestrictedQuerySet["Agent"]):
    """Agents see the agents of their brand; customers none."""


class Agent(models.Model):
    user = models.OneToOneField(User, models.CASCADE, related_name="agent")
    level = models.CharField(_("level"), max_length=2, choices=AgentLevel.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
        verbose_name=_("brand"),
        help_text=_("The provider this agent works for; empty: unbranded records only."),
    )
    all_brands = models.BooleanField(
        _("all brands"),
        default=False,
        help_text=_("Sees and acts on every brand's cases, customers and articles."),
    )

    objects = AgentQuerySet.as_manager()

    def __str__(self) -> str:
        return str(self.user)


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the secret is shown once."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return "sd_" + secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An organization administrator's invitation to a contact; only the token's hash is kept."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    extension = models.CharField(_("extension"), max_length=8, blank=True)
    #: The language the invitation is written in, and the new person's pages after.
    language = models.CharField(_("language"), max_length=8, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)


class OwnerClaim(models.Model):
    """The provider's record of who bought the plan: the link mailed to them sends a 6-digit
    code to the same address, and the code makes them the organization's owner.

    Only hashes are kept: the link's SHA-256, and the code's HMAC keyed with the site's
    secret key (a leaked database alone does not reveal or let anyone test a code).
    """

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="owner_claims")
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    #: Why the organization's owner is replaced (required when it has one).
    note = models.TextField(_("note"), blank=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    code_digest = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("owner invitation")
        verbose_name_plural = _("owner invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"


class OrganizationEventQuerySet(RestrictedQuerySet["OrganizationEvent"]):
    """The desk sees its customers' histories; an organization's administrators their own."""

    brand_path = "organization__brand"

    def for_contact(self, contact: "Contact", action: Action) -> "OrganizationEventQuerySet":
        if contact.role in ADMIN_ROLES and action == Action.VIEW:
            return self.filter(organization_id=contact.organization_id)
        return self.none()


class OrganizationEvent(models.Model):
    """One entry of an organization's audit history: who did what to its people, when, from
    which address. Append-only."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    #: Who acted; empty for the provider's command line.
    actor = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    kind = models.CharField(_("what"), max_length=30, choices=OrganizationEventKind.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)

    objects = OrganizationEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "-at"])]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_kind_display()}"

    def describe(self) -> str:
        """The entry in a sentence, in the reader's language (roles by their names)."""
        values = {key: value for key, value in self.details.items() if isinstance(value, str)}
        for key in ("role", "from", "to"):
            if values.get(key) in ContactRole.values:
                values[key] = str(ContactRole(values[key]).label)
        values.setdefault("tries", self.details.get("tries", ""))
        try:
            return str(EVENT_SENTENCES[OrganizationEventKind(self.kind)]) % values
        except (KeyError, TypeError):
            return self.get_kind_display()


EVENT_SENTENCES = {
    OrganizationEventKind.OWNER_INVITED: _("%(email)s recorded as the buyer, to confirm by code"),
    OrganizationEventKind.OWNER_CODE_SENT: _("Code sent to %(email)s"),
    OrganizationEventKind.OWNER_CODE_FAILED: _("Wrong code for %(email)s (try %(tries)s of 5)"),
    OrganizationEventKind.OWNER_CLAIMED: _("%(email)s confirmed the code and is the owner"),
    OrganizationEventKind.INVITED: _("%(email)s invited as %(role)s"),
    OrganizationEventKind.INVITATION_RESENT: _("Invitation to %(email)s sent again"),
    OrganizationEventKind.INVITATION_REVOKED: _("Invitation to %(email)s revoked"),
    OrganizationEventKind.INVITATION_ACCEPTED: _("%(email)s joined as %(role)s"),
    OrganizationEventKind.ROLE_CHANGED: _("%(name)s: %(from)s → %(to)s"),
    OrganizationEventKind.DEACTIVATED: _("%(name)s deactivated: can no longer sign in"),
    OrganizationEventKind.REACTIVATED: _("%(name)s reactivated"),
}
