"""Plans and their promises: calendars, SLA targets, contracts."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from supportdesk import sla
from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.models import Brand, Contact, Organization, User
from supportdesk.accounts.texts import in_language
from supportdesk.plans.choices import Metric, channel_label


class BusinessCalendar(models.Model):
    """Opening hours in a time zone; ``kernel()`` is the arithmetic, in ``supportdesk.sla``."""

    slug = models.SlugField(max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64)
    country = models.CharField(_("country"), max_length=2, blank=True)
    subdivision = models.CharField(_("subdivision"), max_length=10, blank=True)
    holidays = models.JSONField(_("extra closed dates"), default=list, blank=True)
    weekly = models.JSONField(_("weekly hours"), default=dict)
    exceptions = models.JSONField(_("special hours"), default=dict, blank=True)
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="calendars",
        verbose_name=_("brand"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.slug

    def kernel(self) -> "sla.Calendar":
        return kernel_for(self)


_kernels: dict[tuple[object, object], "sla.Calendar"] = {}


def kernel_for(calendar: BusinessCalendar | None) -> "sla.Calendar":
    """The kernel calendar for a row (``None``: 24/7), built once per version of the row."""
    if calendar is None:
        calendar_key = ("always", None)
        if calendar_key not in _kernels:
            _kernels[calendar_key] = sla.Calendar.always()
        return _kernels[calendar_key]
    key = (calendar.pk, calendar.updated_at)
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = sla.Calendar(
            timezone=calendar.timezone,
            weekly={
                day: [tuple(i.split("-")) for i in spans] for day, spans in calendar.weekly.items()
            },
            holidays=[date.fromisoformat(d) for d in calendar.holidays],
            country=calendar.country or None,
            subdivision=calendar.subdivision or None,
            exceptions={
                date.fromisoformat(d): [tuple(i.split("-")) for i in spans]
                for d, spans in calendar.exceptions.items()
            },
        )
        if len(_kernels) > 256:  # rows edited many times over a long-lived process
            _kernels.clear()
        _kernels[key] = kernel
    return kernel


class PlanQuerySet(RestrictedQuerySet["Plan"]):
    """Agents see their brand's plans; a customer the plans of their organization's contracts."""

    def for_contact(self, contact: Contact, action: Action) -> "PlanQuerySet":
        if action != Action.VIEW:
            return self.none()
        return self.filter(contracts__organization_id=contact.organization_id).distinct()


class Plan(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    calendar = models.ForeignKey(BusinessCalendar, models.PROTECT, related_name="plans")
    #: The provider selling the plan; its customers' organizations carry the same brand.
    brand = models.ForeignKey(
        Brand, models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("brand")
    )
    pause_when_waiting = models.BooleanField(default=True)
    automatic_escalation = models.BooleanField(default=False)
    breach_credit_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    designated_only = models.BooleanField(default=False)
    #: Only devices bought under the contract are covered: a case about any other device is
    #: received, but not under the plan.
    assets_only = models.BooleanField(_("covers contract devices only"), default=False)
    fallback = models.BooleanField(
        default=False,
        help_text=_("Applies its unguaranteed targets to senders of no known organization."),
    )
    currency = models.CharField(max_length=3, default="EUR")
    rate_in_hours = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))
    rate_out_of_hours = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal(0))
    block_in_hours = models.DurationField(default=timedelta(minutes=15))
    block_out_of_hours = models.DurationField(default=timedelta(minutes=30))
    entitlements = models.JSONField(default=dict, blank=True)
    priority_definitions = models.JSONField(default=dict, blank=True)
    renewal_notice_days = models.PositiveIntegerField(
        _("renewal notice (days)"),
        default=60,
        help_text=_(
            "How many days before a contract ends its account manager and the "
            "customer's administrators are reminded."
        ),
    )

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    breach_credit_hours__gte=0, rate_in_hours__gte=0, rate_out_of_hours__gte=0
                ),
                name="plan_amounts_not_negative",
                violation_error_message=_("Credit hours and rates cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(block_in_hours__gt=timedelta(0), block_out_of_hours__gt=timedelta(0)),
                name="plan_blocks_positive",
                violation_error_message=_("Billing blocks must be longer than zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def definitions_in(self, language: str | None = None) -> dict[str, str]:
        """What each priority means under this plan, in the viewer's language (P1 first)."""
        definitions = self.priority_definitions or {}
        return {code: in_language(definitions[code], language) for code in sorted(definitions)}


class SlaTarget(models.Model):
    """One row of a plan's target table; per metric the first matching row applies."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="targets")
    position = models.PositiveIntegerField()
    metric = models.CharField(max_length=20, choices=Metric.choices)
    priorities = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    designated = models.BooleanField(null=True, blank=True)
    within = models.DurationField(null=True, blank=True)
    business_days = models.PositiveIntegerField(null=True, blank=True)
    around_the_clock = models.BooleanField(default=False)
    guaranteed = models.BooleanField(default=True)

    class Meta:
        ordering = ["plan_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="target_position_once"),
            # A target counts either working time (``within``) or whole business days.
            models.CheckConstraint(
                condition=Q(
                    within__isnull=False, within__gt=timedelta(0), business_days__isnull=True
                )
                | Q(
                    within__isnull=True,
                    business_days__isnull=False,
                    business_days__gte=1,
                    around_the_clock=False,
                ),
                name="target_one_amount",
                violation_error_message=_(
                    "Give exactly one of a time longer than zero or a number of business days "
                    "(business days do not run around the clock)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.describe()

    def matches(self, *, priority: str, channel: str, designated: bool) -> bool:
        return (
            (not self.priorities or priority in self.priorities)
            and (not self.channels or channel in self.channels)
            and (self.designated is None or self.designated == designated)
        )

    def describe(self) -> str:
        """The rule as a person reads it, e.g. 'first response within 4h, business hours'."""
        if self.within is not None:  # else business days: a target has one or the other
            minutes = int(self.within.total_seconds() // 60)
            amount = _("within %(d)s") % {
                "d": f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"
            }
        else:
            amount = _("by close of business day %(n)s") % {"n": self.business_days}
        clock = _("24/7") if self.around_the_clock else _("business hours")
        parts = [str(Metric(self.metric).label), str(amount), str(clock)]
        if self.priorities:
            parts.append("/".join(self.priorities))
        if self.channels:
            parts.append("/".join(map(channel_label, self.channels)))
        if not self.guaranteed:
            parts.append(str(_("indicative")))
        return ", ".join(parts)


class Contract(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="contracts")
    plan = models.ForeignKey(Plan, models.PROTECT, related_name="contracts")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    monthly_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    designated_email = models.CharField(max_length=254, blank=True)
    designated_phone = models.CharField(max_length=32, blank=True)
    account_manager = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="managed_contracts"
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("business hours"),
        help_text=_("The customer's region, where the plan promises its hours; empty: the plan's."),
    )

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="contract_ends_after_start",
                violation_error_message=_("The contract ends before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee__isnull=True) | Q(monthly_fee__gte=0),
                name="contract_fee_not_negative",
                violation_error_message=_("The monthly fee cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} / {self.plan}"

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def business_calendar(self) -> BusinessCalendar:
        """The hours this customer's promises and bills count: a plan sold across regions
        (MeetWave's "business hours of the customer's region") names the region per contract."""
        return self.calendar if self.calendar is not None else self.plan.calendar
