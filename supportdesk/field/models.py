"""Work that leaves the keyboard: technicians' visits, devices taken for repair, the pool of
loan devices left meanwhile, and the reminders sent before a contract ends."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import RestrictedQuerySet
from supportdesk.accounts.models import Brand, Contact, User
from supportdesk.assets.choices import DeviceClass
from supportdesk.assets.models import Asset
from supportdesk.plans.models import Contract
from supportdesk.tickets.models import Case


class Technician(models.Model):
    """The field role: an agent who goes on site and has a day list of visits."""

    user = models.OneToOneField(
        User, models.CASCADE, related_name="technician", verbose_name=_("agent")
    )

    class Meta:
        verbose_name = _("field technician")
        verbose_name_plural = _("field technicians")

    def __str__(self) -> str:
        return str(self.user)


class VisitQuerySet(RestrictedQuerySet["Visit"]):
    """Visits, repairs and loans are the desk's: agents of the case's brand reach them."""

    brand_path = "case__brand"


class RepairQuerySet(RestrictedQuerySet["Repair"]):
    brand_path = "case__brand"


class LoanerQuerySet(RestrictedQuerySet["Loaner"]):
    """The provider's pool: its own agents' (and unbranded loaners everyone's)."""


class LoanerIssueQuerySet(RestrictedQuerySet["LoanerIssue"]):
    brand_path = "case__brand"


class Visit(models.Model):
    """An engineer on site for a case: decided, scheduled in a window, arrived, left with a
    report. Arriving keeps the case's on-site promise."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="visits")
    purpose = models.CharField(_("what for"), max_length=300)
    decided_at = models.DateTimeField(_("decided"))
    decided_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    technician = models.ForeignKey(
        User,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("technician"),
    )
    window_start = models.DateTimeField(_("from"), null=True, blank=True)
    window_end = models.DateTimeField(_("until"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    departed_at = models.DateTimeField(_("left"), null=True, blank=True)
    report = models.TextField(_("report"), blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["window_start", "id"]
        indexes = [models.Index(fields=["technician", "window_start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=models.F("window_start")) | Q(window_start__isnull=True),
                name="visit_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.label}: {self.purpose}"

    @property
    def done(self) -> bool:
        return self.departed_at is not None


class Repair(models.Model):
    """A device taken from the customer for repair; returning it keeps the repair promise."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="repairs")
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="repairs")
    taken_at = models.DateTimeField(_("taken"))
    taken_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")

    objects = RepairQuerySet.as_manager()

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=Q(returned_at__isnull=True), name="asset_in_one_repair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.label}: {self.asset}"


class Loaner(models.Model):
    """A replacement device of the provider's own pool, lent by class while one is repaired
    (the customers' devices are ``Asset`` rows with coverage; these are the provider's)."""

    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="loaners",
        verbose_name=_("brand"),
    )
    serial = models.CharField(_("serial number"), max_length=100, unique=True)
    model = models.CharField(_("model"), max_length=200, blank=True)
    device_class = models.CharField(_("class"), max_length=20, choices=DeviceClass.choices)

    objects = LoanerQuerySet.as_manager()

    class Meta:
        ordering = ["device_class", "serial"]
        verbose_name = _("loaner")
        verbose_name_plural = _("loaners")

    def __str__(self) -> str:
        return f"{self.serial} ({self.model})" if self.model else self.serial


class LoanerIssue(models.Model):
    """A loaner lent to a case's customer: which, to whom, when, whether the disk moved into
    it; open (and shown) until the loaner comes back."""

    loaner = models.ForeignKey(Loaner, models.PROTECT, related_name="issues")
    case = models.ForeignKey(Case, models.CASCADE, related_name="loaner_issues")
    contact = models.ForeignKey(
        Contact, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("to")
    )
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    disk_moved = models.BooleanField(_("disk moved"), default=False)
    #: When the repaired device came back and the loaner was asked for.
    asked_back_at = models.DateTimeField(_("asked back"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")

    objects = LoanerIssueQuerySet.as_manager()

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loaner"], condition=Q(returned_at__isnull=True), name="loaner_out_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loaner} → {self.case.label}"


class RenewalReminder(models.Model):
    """The reminder given once per contract end: the account manager's task and the mail to
    the customer's administrators. A changed end date is a new end, reminded again."""

    contract = models.ForeignKey(Contract, models.CASCADE, related_name="renewal_reminders")
    contract_end = models.DateField(_("contract end"))
    sent_at = models.DateTimeField(_("sent"))
    task = models.ForeignKey(Case, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "contract_end"], name="one_reminder_per_contract_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.contract_end}"
