"""The email channel's records: support addresses, every message received (raw, before parsing),
its attachments, and the addresses whose mail bounced."""

import os

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import (
    ALL_BRANDS,
    Action,
    RestrictedQuerySet,
    brand_filter,
    brand_scope,
)
from supportdesk.accounts.models import Brand, User
from supportdesk.tickets.models import Attachment, Case, Message, OutboundMessage


class Mailbox(models.Model):
    """A support address; optionally an IMAP mailbox the worker polls for it."""

    name = models.CharField(_("name"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=254, unique=True)
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="mailboxes",
        verbose_name=_("brand"),
        help_text=_("The provider this address belongs to: mail from unknown senders is theirs."),
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Receives mail sent to addresses the desk does not know."),
    )
    trust_authentication_results = models.BooleanField(
        _("verified senders only"),
        default=False,
        help_text=_(
            "Identify a sender only when their mail is verified (DKIM of their domain, or "
            "DMARC passed at the receiving server), even when their domain publishes no policy."
        ),
    )
    authserv_id = models.CharField(
        _("authentication server id"),
        max_length=254,
        blank=True,
        help_text=_(
            "Read the Authentication-Results headers this server adds (RFC 8601); without it, "
            "they are ignored."
        ),
    )
    imap_enabled = models.BooleanField(_("poll by IMAP"), default=False)
    imap_host = models.CharField(_("IMAP host"), max_length=254, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_user = models.CharField(_("IMAP user"), max_length=254, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=254, blank=True)
    imap_password_env = models.CharField(
        _("IMAP password variable"),
        max_length=100,
        blank=True,
        help_text=_("Name of an environment variable holding the password (preferred)."),
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=254, default="INBOX")
    imap_move_to = models.CharField(
        _("move processed mail to"),
        max_length=254,
        blank=True,
        help_text=_("Folder for processed mail; empty: mark it seen and leave it."),
    )
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_mailbox"
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)

    def imap_secret(self) -> str:
        """The password: from the named environment variable when set, else the field."""
        if self.imap_password_env:
            return os.environ.get(self.imap_password_env, "")
        return self.imap_password


class Source(models.TextChoices):
    PIPE = "pipe", _("MTA pipe")
    IMAP = "imap", _("IMAP")


class IntakeStatus(models.TextChoices):
    RECEIVED = "received", _("Stored, not yet processed")
    NEW = "new", _("Opened a case")
    JOINED = "joined", _("Joined a case")
    HELD = "held", _("Held")
    REVIEW = "review", _("Needs review")


class HoldReason(models.TextChoices):
    AUTO_REPLY = "auto_reply", _("automatic reply")
    BOUNCE = "bounce", _("bounce of no known mail")
    COMPLAINT = "complaint", _("abuse report")
    LOOP = "loop", _("mail from the desk itself")
    RATE_LIMIT = "rate_limit", _("sender over the rate limit")
    TOO_LARGE = "too_large", _("message over the size limit, refused")


class SenderCheck(models.TextChoices):
    """The From address against its domain's DMARC policy (see ``sender_check``)."""

    PASS = "pass", _("sender verified")
    FAIL = "fail", _("sender failed verification")
    NONE = "none", _("sender not verified")


class InboundEmailQuerySet(RestrictedQuerySet["InboundEmail"]):
    """Agents read the raw mail of their brand's cases, and mail held before it became a case
    when it came to their brand's address; customers never read raw mail."""

    def for_desk(self, user: User, action: Action) -> "InboundEmailQuerySet":
        scope = brand_scope(user)
        if scope is ALL_BRANDS:
            return self
        on_case = Q(case__isnull=False) & brand_filter("case__brand", scope)
        held = Q(case__isnull=True) & brand_filter("mailbox__brand", scope)
        return self.filter(on_case | held)


class InboundEmail(models.Model):
    """One message as it arrived. ``raw`` is written and committed before anything parses it."""

    mailbox = models.ForeignKey(
        Mailbox, models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    recipient = models.CharField(_("delivered to"), max_length=254, blank=True)
    received_at = models.DateTimeField(_("received"))
    sha256 = models.CharField(max_length=64)
    message_id = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField()
    raw = models.BinaryField()
    status = models.CharField(max_length=10, choices=IntakeStatus.choices)
    hold_reason = models.CharField(max_length=12, choices=HoldReason.choices, blank=True)
    error = models.TextField(blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    from_trusted = models.BooleanField(default=False)
    sender_check = models.CharField(max_length=4, choices=SenderCheck.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(blank=True, help_text=_("The whole text, quoted history included."))
    html = models.TextField(blank=True, help_text=_("Sanitised HTML, for display."))
    case = models.ForeignKey(Case, models.SET_NULL, null=True, blank=True, related_name="emails")
    case_message = models.ForeignKey(
        Message, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    # A worker is delivering the message until then; if it dies, another may after.
    claimed_until = models.DateTimeField(null=True, blank=True)

    objects = InboundEmailQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also the index that threading uses to look up Message-IDs.
            models.UniqueConstraint(fields=["message_id", "sha256"], name="email_stored_once"),
        ]
        indexes = [
            models.Index(fields=["from_address", "received_at"]),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.from_address} {self.subject}"


def sender_checks(case_id: int) -> dict[int, str]:
    """The verdict on the sender of each of a case's messages that came by mail, by message."""
    return dict(
        InboundEmail.objects.filter(case_id=case_id, case_message__isnull=False)
        .exclude(sender_check="")
        .values_list("case_message_id", "sender_check")
    )


class EmailAttachment(models.Model):
    """A part of a message as the mail carried it. Its file is the case's attachment (one
    storage for every channel); ``attachment`` is None when it was over the size limit."""

    email = models.ForeignKey(InboundEmail, models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=127)
    content_id = models.CharField(max_length=255, blank=True)
    inline = models.BooleanField(default=False)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    attachment = models.OneToOneField(
        Attachment, models.SET_NULL, null=True, blank=True, related_name="email_part"
    )

    def __str__(self) -> str:
        return self.filename or self.content_type

    @property
    def omitted(self) -> bool:
        return self.attachment_id is None


class BouncedAddress(models.Model):
    """An address the desk's mail could not be delivered to, as reported by a bounce."""

    address = models.CharField(max_length=254, unique=True)
    bounces = models.PositiveIntegerField(default=0)
    permanent = models.BooleanField(default=False)
    last_bounced_at = models.DateTimeField()
    last_status = models.CharField(max_length=20, blank=True)
    last_diagnostic = models.TextField(blank=True)
    last_outbound = models.ForeignKey(
        OutboundMessage, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = _("bounced addresses")

    def __str__(self) -> str:
        return self.address
