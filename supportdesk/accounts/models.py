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
from supportdesk.accounts.choices import ADMIN_ROLES, AddressKind, AgentLevel, ContactRole


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

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str | None:
        return next((a.value for a in self.addresses.all() if a.kind == AddressKind.EMAIL), None)

    @property
    def phone(self) -> str | None:
        return next((a.value for a in self.addresses.all() if a.kind == AddressKind.PHONE), None)


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
