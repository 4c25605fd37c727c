"""Consent to remote help, asked on a case and given by the customer, and the session it allows."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.models import Contact, User
from supportdesk.remote.choices import ConsentState, Tool
from supportdesk.tickets.models import Case

#: A request not answered in this time expires, and so does a consent no session used.
CONSENT_LIFETIME = timedelta(minutes=15)


class ConsentRequestQuerySet(RestrictedQuerySet["ConsentRequest"]):
    """A request is seen by whoever sees its case: its contact, the organization's
    administrators, the agents of its brand."""

    brand_path = "case__brand"

    def for_contact(self, contact: Contact, action: Action) -> "ConsentRequestQuerySet":
        return self.filter(case__in=Case.objects.for_contact(contact, action))


class ConsentRequest(models.Model):
    """One request for consent; only the SHA-256 of the link's token is kept.

    ``expires_at``: 15 minutes after asking while unanswered, then 15 minutes after consent
    while no session has used it."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="consent_requests")
    asked_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("asked by")
    )
    asked_at = models.DateTimeField(_("asked at"))
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    consented_by = models.ForeignKey(
        Contact,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consented by"),
    )
    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)

    objects = ConsentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("consent to remote help")
        verbose_name_plural = _("consents to remote help")

    def __str__(self) -> str:
        return f"{self.case_id} {self.asked_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def state(self, now: datetime) -> ConsentState:
        """Used, given (and still fresh), or waiting; anything past its time is expired."""
        if hasattr(self, "session"):
            return ConsentState.USED
        if now >= self.expires_at:
            return ConsentState.EXPIRED
        return ConsentState.GIVEN if self.consented_at is not None else ConsentState.WAITING


class RemoteSessionQuerySet(RestrictedQuerySet["RemoteSession"]):
    """A session is seen by whoever sees its case."""

    brand_path = "case__brand"

    def for_contact(self, contact: Contact, action: Action) -> "RemoteSessionQuerySet":
        return self.filter(case__in=Case.objects.for_contact(contact, action))


class RemoteSession(models.Model):
    """A remote session on the customer's computer, under one consent (never reused)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="remote_sessions")
    consent = models.OneToOneField(
        ConsentRequest, models.PROTECT, related_name="session", verbose_name=_("consent")
    )
    agent = models.ForeignKey(
        User, models.SET_NULL, null=True, related_name="+", verbose_name=_("agent")
    )
    tool = models.CharField(_("tool"), max_length=20, choices=Tool.choices)
    session_id = models.CharField(_("session id"), max_length=100)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    password_typed_by_user = models.BooleanField(_("the user typed their password"))

    objects = RemoteSessionQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("remote session")
        verbose_name_plural = _("remote sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(password_typed_by_user=True), name="password_typed_by_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tool_display()} {self.session_id}"
