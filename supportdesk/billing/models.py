"""Time entries: who worked on which case from when to when. Everything billed derives from them.

Statements are computed from entries, packs (``plans.HourPack``) and breach credits
(``tickets.BreachCredit``) every time they are asked for, never stored, so a corrected entry
corrects every later statement at once, until the month is closed: then its time is fixed.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Organization, User
from supportdesk.billing.choices import EntrySource
from supportdesk.tickets.models import Case


class TimeEntryQuerySet(models.QuerySet["TimeEntry"]):
    def visible_to(self, user: User) -> "TimeEntryQuerySet":
        """Agents see every entry; a customer administrator their organization's; others none."""
        if not user.is_authenticated:
            return self.none()
        if user.is_agent or user.is_superuser:
            return self
        contact = user.contact_or_none
        if contact is None or contact.role != "admin":
            return self.none()
        return self.filter(organization_id=contact.organization_id)

    def finished(self) -> "TimeEntryQuerySet":
        return self.filter(end__isnull=False)

    def running(self) -> "TimeEntryQuerySet":
        return self.filter(end__isnull=True)


class TimeEntry(models.Model):
    """One stretch of an agent's work on a case; ``end`` is None while its timer runs.

    Start and end are kept to the whole minute (the services truncate seconds), so the minutes
    a statement shows are exact integers.
    """

    case = models.ForeignKey(Case, models.CASCADE, related_name="time_entries")
    # The organization billed: the case's when the work was recorded. Denormalised so a month's
    # statement reads ranges of one index, (organization, start, end).
    organization = models.ForeignKey(
        Organization, models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    agent = models.ForeignKey(User, models.PROTECT, related_name="time_entries")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    billable = models.BooleanField(_("billable"), default=True)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=EntrySource.choices)
    created_at = models.DateTimeField()

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="entry_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["agent"], condition=Q(end__isnull=True), name="one_timer_per_agent"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "start", "end"], name="entry_statement"),
            models.Index(fields=["agent", "start"], name="entry_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.agent_id} {self.start:%Y-%m-%d %H:%M}"

    @property
    def running(self) -> bool:
        return self.end is None


class ClosedMonth(models.Model):
    """A month whose statement was sent: its time entries can no longer be added, changed or
    removed (reopening it is a deliberate act, recorded like the closing)."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="closed_months")
    month = models.DateField(_("month"))  # its first day
    closed_at = models.DateTimeField(_("closed"))
    closed_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="closed_months"
    )

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="one_close_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m}"
