"""Cases, their conversation, their append-only history and the SLA clocks that keep the plan."""

import secrets
from datetime import timedelta

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.choices import ADMIN_ROLES
from supportdesk.accounts.models import Brand, Contact, Organization, Team, User
from supportdesk.assets.models import Asset
from supportdesk.plans.choices import Metric
from supportdesk.plans.models import BusinessCalendar, Plan, SlaTarget
from supportdesk.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    Coverage,
    EventKind,
    Level,
    MessageKind,
    OutboxStatus,
    Priority,
    Status,
    coverage_text,
)


class CaseQuerySet(RestrictedQuerySet["Case"]):
    """Agents reach their brand's cases; a customer administrator the organization's, any other
    contact their own."""

    def for_contact(self, contact: Contact, action: Action) -> "CaseQuerySet":
        if contact.role in ADMIN_ROLES:
            return self.filter(organization_id=contact.organization_id)
        return self.filter(organization_id=contact.organization_id, contact=contact)

    def open(self) -> "CaseQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def by_next_due(self) -> "CaseQuerySet":
        return self.order_by(models.F("next_due").asc(nulls_last=True), "id")


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=64, unique=True, null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    organization = models.ForeignKey(
        Organization, models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    contact = models.ForeignKey(
        Contact, models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    #: The device the case is about, when it names one (a plan may cover only some devices).
    asset = models.ForeignKey(
        Asset,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("device"),
    )
    #: The provider the case came to: its organization's, or the address it was sent to.
    brand = models.ForeignKey(
        Brand, models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("brand")
    )
    requester_address = models.CharField(_("requester address"), max_length=254, blank=True)
    received_via = models.CharField(_("received at"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    level = models.CharField(_("level"), max_length=2, choices=Level.choices, default=Level.L1)
    team = models.ForeignKey(Team, models.SET_NULL, null=True, blank=True, related_name="cases")
    assignee = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="assigned_cases"
    )
    plan = models.ForeignKey(Plan, models.SET_NULL, null=True, blank=True, related_name="cases")
    covered = models.BooleanField(_("covered"), default=False)
    coverage_code = models.CharField(_("coverage"), max_length=30, choices=Coverage.choices)
    coverage_param = models.CharField(max_length=200, blank=True)
    needs_review = models.BooleanField(default=False)
    received_at = models.DateTimeField(_("received"))
    updated_at = models.DateTimeField(_("updated"))
    next_due = models.DateTimeField(_("next due"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["next_due", "id"], name="case_queue", condition=Q(status__in=OPEN_STATUSES)
            ),
            models.Index(fields=["next_due", "id"], name="case_next_due"),
            models.Index(fields=["organization", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.subject}"

    @property
    def label(self) -> str:
        """The case's number as people quote it: its provider's prefix and sequence
        (``WP-1042``); cases received before numbering began keep their ``#id``."""
        return self.reference or f"#{self.pk}"

    @property
    def coverage_reason(self) -> str:
        """Why the case is or is not under its plan, in the active language."""
        return coverage_text(self.coverage_code, self.coverage_param)


#: What a case prefix may be: what a mail subject's ``[WP-1042]`` tag is matched by.
validate_case_prefix = RegexValidator(
    r"^[A-Z][A-Z0-9]{0,11}$", _("Capital letters and digits, starting with a letter.")
)


class CaseSequence(models.Model):
    """A provider's case numbers: the prefix its references carry and the last number given.
    One row per brand; the row without a brand numbers a desk of one provider. The row is
    locked while a case takes its number, so concurrent cases never share one."""

    brand = models.OneToOneField(
        Brand,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="case_sequence",
        verbose_name=_("brand"),
    )
    prefix = models.CharField(
        _("case prefix"), max_length=12, unique=True, validators=[validate_case_prefix]
    )
    last = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case numbering")
        verbose_name_plural = _("case numbering")

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last}"


class Message(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="messages")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    from_address = models.CharField(max_length=254, blank=True)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.body[:40]}"

    @property
    def public(self) -> bool:
        return self.kind != MessageKind.NOTE


class Event(models.Model):
    """The case's append-only audit log: who changed what, when, from what to what."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class SlaClockQuerySet(RestrictedQuerySet["SlaClock"]):
    """A clock is seen by whoever sees its case."""

    brand_path = "case__brand"

    def for_contact(self, contact: Contact, action: Action) -> "SlaClockQuerySet":
        return self.filter(case__in=Case.objects.for_contact(contact, action))


class SlaClock(models.Model):
    """One promise on one case; ``due_at`` is None while paused."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target = models.ForeignKey(SlaTarget, models.SET_NULL, null=True, related_name="+")
    rule = models.CharField(max_length=200)
    guaranteed = models.BooleanField()
    calendar = models.ForeignKey(BusinessCalendar, models.PROTECT, null=True, related_name="+")
    within = models.DurationField(null=True)
    business_days = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField()
    paused_work = models.DurationField(default=timedelta(0))
    paused_since = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    met_at = models.DateTimeField(null=True)
    breached_at = models.DateTimeField(null=True)

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "metric"], name="one_clock_per_metric"),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="clock_sweep",
                condition=Q(
                    guaranteed=True,
                    met_at__isnull=True,
                    breached_at__isnull=True,
                    paused_since__isnull=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.metric}"

    @property
    def breached(self) -> bool:
        return self.breached_at is not None


class OutboundMessage(models.Model):
    """Mail or a text message the worker sends with retries; a failure stays visible on the
    case. ``channel`` says which sender takes it: email, or the carrier for SMS and WhatsApp."""

    case = models.ForeignKey(Case, models.CASCADE, null=True, blank=True, related_name="outbox")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    #: The reply this mail carries: its files go with it, read from storage when it is sent
    #: (the outbox keeps references, never the bytes).
    message = models.ForeignKey(
        Message, models.SET_NULL, null=True, blank=True, related_name="outbound"
    )
    status = models.CharField(max_length=10, choices=OutboxStatus.choices)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending",
                condition=Q(status=OutboxStatus.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"to {self.to}: {self.subject}"


def _attachment_path(attachment: "Attachment", filename: str) -> str:
    return f"attachments/{attachment.case_id}/{secrets.token_hex(8)}/{filename}"


class AttachmentQuerySet(RestrictedQuerySet["Attachment"]):
    """A file is seen by whoever reads its message: an internal note's by agents only."""

    brand_path = "case__brand"

    def for_contact(self, contact: Contact, action: Action) -> "AttachmentQuerySet":
        return self.filter(case__in=Case.objects.for_contact(contact, action)).exclude(
            message__kind=MessageKind.NOTE
        )


class Attachment(models.Model):
    """A file that came with a message on any channel, as the case's own: stored through the
    storage API (under MEDIA_ROOT), served only to who may read its message."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=400)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_at = models.DateTimeField()

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
