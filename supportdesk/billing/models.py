"""Time entries, packs of prepaid hours and breach credits: what a statement is computed from.

Statements are computed from entries, packs and credits every time they are asked for, never
stored, so a corrected entry corrects every later statement at once, until the month is
closed: then its time is fixed.
"""

from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet, works_the_desk
from supportdesk.accounts.choices import ADMIN_ROLES
from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.billing.choices import EntrySource, PackKind
from supportdesk.tickets.models import Case


class TimeEntryQuerySet(RestrictedQuerySet["TimeEntry"]):
    """Agents see the entries on their brand's cases; a customer administrator reads the
    organization's; other customers none."""

    brand_path = "case__brand"

    def for_contact(self, contact: Contact, action: Action) -> "TimeEntryQuerySet":
        if contact.role not in ADMIN_ROLES or action != Action.VIEW:
            return self.none()
        return self.filter(organization_id=contact.organization_id)

    def finished(self) -> "TimeEntryQuerySet":
        return self.filter(end__isnull=False)

    def running(self) -> "TimeEntryQuerySet":
        return self.filter(end__isnull=True)


def billed_organizations(user: User) -> "models.QuerySet[Organization]":
    """Whose statements and packs this user reads: agents their brand's organizations, a
    customer administrator their own, anyone else none."""
    organizations = Organization.objects.visible_to(user)
    if works_the_desk(user):
        return organizations
    contact = user.contact_or_none
    if contact is None or contact.role not in ADMIN_ROLES:
        return organizations.none()
    return organizations


#: Longer than this, an entry is an outlier: recording it takes the agent's confirmation, and
#: the month's statement flags it for a second look before it is sent.
WORKING_DAY = timedelta(hours=8)
#: How far past "now" work may end: the agent's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


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


class HourPack(models.Model):
    """Prepaid hours: a single pack (valid a year) or a monthly pack (each month from start)."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="packs")
    kind = models.CharField(max_length=10, choices=PackKind.choices)
    hours = models.DecimalField(max_digits=8, decimal_places=2)
    purchased = models.DateField(null=True, blank=True)
    start_month = models.DateField(null=True, blank=True)
    end_month = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "plans_hourpack"  # the table it had when plans kept it
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0),
                name="pack_hours_positive",
                violation_error_message=_("Hours must be more than zero."),
            ),
            # A single pack is known by its purchase date, a monthly pack by its first month.
            models.CheckConstraint(
                condition=Q(
                    kind=PackKind.SINGLE,
                    purchased__isnull=False,
                    start_month__isnull=True,
                    end_month__isnull=True,
                )
                | Q(kind=PackKind.MONTHLY, purchased__isnull=True, start_month__isnull=False)
                & (Q(end_month__isnull=True) | Q(end_month__gte=F("start_month"))),
                name="pack_dates_fit_kind",
                violation_error_message=_(
                    "A single pack has a purchase date; a monthly pack a first month and "
                    "optionally a last one, not before the first."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hours}h"


class BreachCredit(models.Model):
    """Free hours earned by a missed guarantee: once per case, never expiring."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="credit")
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="credits")
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    granted_at = models.DateTimeField()

    class Meta:
        db_table = "tickets_breachcredit"  # the table it had when tickets kept it

    def __str__(self) -> str:
        return f"{self.hours}h for {self.case_id}"
