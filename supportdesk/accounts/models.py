"""People: organizations and their contacts, agents and teams, and how they sign in."""

import hashlib
import secrets

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.choices import AddressKind, AgentLevel, ContactRole


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

    username = None
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=8, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_agent(self) -> bool:
        return hasattr(self, "agent")

    @property
    def contact_or_none(self) -> "Contact | None":
        return getattr(self, "contact", None)


class Organization(models.Model):
    slug = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="contacts")
    user = models.OneToOneField(
        User, models.SET_NULL, null=True, blank=True, related_name="contact"
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)

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
        ]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return self.value


class Team(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    user = models.OneToOneField(User, models.CASCADE, related_name="agent")
    level = models.CharField(_("level"), max_length=2, choices=AgentLevel.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")

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
