"""The phone channel's own data: numbers, menus, agents' lines, support PINs, calls and the
carrier's raw requests (kept before anything else, as raw mail is)."""

import re

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import RestrictedQuerySet
from supportdesk.accounts.models import Agent, Brand, Contact, Organization, Team, User
from supportdesk.channels.voice.choices import (
    AfterHours,
    CallBackStatus,
    CallStep,
    OptionKind,
    Outcome,
    WebhookKind,
)
from supportdesk.plans.models import BusinessCalendar
from supportdesk.tickets.models import Case

KEYS = RegexValidator(r"^[0-9*#]+$", _("Only the keys 0-9, * and # can be pressed."))
DIGITS = RegexValidator(r"^[0-9]+$", _("Digits only."))
#: What carriers accept as a ``<Client>`` identity.
SOFTPHONE = re.compile(r"[A-Za-z0-9._@-]{1,100}")
SOFTPHONE_IDENTITY = RegexValidator(
    SOFTPHONE, _("Letters, digits, dots, dashes, underscores and @ only.")
)


class Menu(models.Model):
    """What a caller hears and may press; options may lead to further menus."""

    slug = models.SlugField(_("key"), max_length=100, unique=True)
    greeting = models.JSONField(_("greeting"), default=dict, help_text=_("Text per language."))

    def __str__(self) -> str:
        return self.slug


class MenuOption(models.Model):
    menu = models.ForeignKey(Menu, models.CASCADE, related_name="options")
    key = models.CharField(_("key pressed"), max_length=1, validators=[KEYS])
    label = models.JSONField(_("label"), default=dict, help_text=_("Text per language."))
    kind = models.CharField(_("what it does"), max_length=20, choices=OptionKind.choices)
    team = models.ForeignKey(Team, models.PROTECT, null=True, blank=True, related_name="+")
    submenu = models.ForeignKey(
        Menu, models.PROTECT, null=True, blank=True, related_name="entered_from"
    )
    play_url = models.URLField(_("recorded prompt"), blank=True)

    class Meta:
        ordering = ["menu", "key"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "key"], name="menu_key_once"),
            models.CheckConstraint(
                condition=~Q(kind=OptionKind.TEAM) | Q(team__isnull=False),
                name="team_option_names_team",
            ),
            models.CheckConstraint(
                condition=~Q(kind=OptionKind.SUBMENU) | Q(submenu__isnull=False),
                name="submenu_option_names_menu",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.menu} {self.key}"


class PhoneNumber(models.Model):
    """One of the desk's numbers, with the hours it keeps and the menu it answers with."""

    number = models.CharField(_("number (E.164)"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="en")
    calendar = models.ForeignKey(
        BusinessCalendar,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: answered around the clock."),
    )
    menu = models.ForeignKey(Menu, models.PROTECT, null=True, blank=True, related_name="+")
    after_hours = models.CharField(
        _("after hours"), max_length=10, choices=AfterHours.choices, default=AfterHours.VOICEMAIL
    )
    forward_to = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")
    country = models.CharField(_("country"), max_length=2, blank=True)
    public = models.BooleanField(_("listed for customers"), default=True)
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The provider whose line this is: its callers' cases are its own."),
    )

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class AgentLine(models.Model):
    """Where an agent takes calls: a phone to ring and an extension callers can key."""

    agent = models.OneToOneField(Agent, models.CASCADE, related_name="line")
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    extension = models.CharField(
        _("extension"), max_length=8, blank=True, validators=[DIGITS], db_index=True
    )
    #: The carrier's ``<Client>`` identity of the agent's softphone (browser or app).
    softphone = models.CharField(
        _("softphone identity"), max_length=100, blank=True, validators=[SOFTPHONE_IDENTITY]
    )
    available = models.BooleanField(_("takes calls"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extension"], condition=~Q(extension=""), name="extension_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.extension}"


class SupportPin(models.Model):
    """A PIN that identifies a caller whose number is not registered: an organization's, or a
    contact's own."""

    pin = models.CharField(_("PIN"), max_length=12, unique=True, validators=[DIGITS])
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="support_pins")
    contact = models.OneToOneField(
        Contact, models.CASCADE, null=True, blank=True, related_name="support_pin"
    )

    def __str__(self) -> str:
        return f"{self.organization} ****"


class SetupRevision(models.Model):
    """One number, replaced by every saved row of the phone's set-up (``apps.py``) in its
    transaction: web processes keep what they read of the set-up while it stands. A random
    number, not a count, so a rolled-back change never brings back one a kept copy stands for."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.number)


class CallQuerySet(RestrictedQuerySet["Call"]):
    """Agents see the calls of the cases their brand works on, and calls not (yet) on a case;
    customers see calls only as their cases' messages."""

    brand_path = "case__brand"


class Call(models.Model):
    """One call, inbound or outbound: the carrier's ``CallSid`` is its key, so a retried
    request finds the call it already made."""

    sid = models.CharField(max_length=64, unique=True)
    inbound = models.BooleanField(default=True)
    from_number = models.CharField(_("from"), max_length=64)
    to_number = models.CharField(_("to"), max_length=64)
    number = models.ForeignKey(PhoneNumber, models.SET_NULL, null=True, related_name="calls")
    contact = models.ForeignKey(Contact, models.SET_NULL, null=True, related_name="+")
    organization = models.ForeignKey(Organization, models.SET_NULL, null=True, related_name="+")
    case = models.ForeignKey(Case, models.SET_NULL, null=True, related_name="calls")
    language = models.CharField(max_length=8, default="en")
    step = models.CharField(max_length=20, choices=CallStep.choices, default=CallStep.MENU)
    menu = models.ForeignKey(Menu, models.SET_NULL, null=True, related_name="+")
    keys = models.CharField(_("menu path"), max_length=64, blank=True)
    pin_tries = models.PositiveSmallIntegerField(default=0)
    team = models.ForeignKey(Team, models.SET_NULL, null=True, related_name="+")
    rang_at = models.DateTimeField(_("rang"))
    answered_at = models.DateTimeField(_("answered"), null=True)
    answered_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    ended_at = models.DateTimeField(_("ended"), null=True)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    recording_url = models.URLField(_("recording"), blank=True)
    transcription = models.TextField(_("transcription"), blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-rang_at"]
        indexes = [models.Index(fields=["rang_at"])]

    def __str__(self) -> str:
        return f"{self.from_number} → {self.to_number}"


class CarrierRequest(models.Model):
    """A webhook exactly as the carrier sent it, kept in the transaction that writes what it
    means (``done_at`` set), or alone when that failed: ``done_at`` empty and the error, for
    the worker to finish it."""

    kind = models.CharField(max_length=20, choices=WebhookKind.choices)
    call_sid = models.CharField(max_length=64, db_index=True)
    url = models.CharField(max_length=500)
    params = models.JSONField()
    received_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["received_at"], name="carrier_pending", condition=Q(done_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.call_sid}"


class CallBack(models.Model):
    """An agent's call back to a customer, queued so the carrier's refusals are retried: the
    carrier rings the agent first, then the customer; the customer answering is the response."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="call_backs")
    agent = models.ForeignKey(User, models.CASCADE, related_name="call_backs_placed")
    agent_phone = models.CharField(max_length=20)
    customer_number = models.CharField(max_length=20)
    caller_id = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=CallBackStatus.choices, default=CallBackStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    call = models.OneToOneField(Call, models.SET_NULL, null=True, related_name="call_back")
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="call_back_due",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} → {self.customer_number}"
