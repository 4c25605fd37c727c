"""Service status: components by group and audience, their history, incidents and maintenance.

Every status a component takes is kept with its instant (``StatusChange``), so the page's
90 days of uptime, and any later correction, are computed from history rather than counters.
"""

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet, works_the_desk
from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.plans.contracts import in_force
from supportdesk.plans.models import Plan
from supportdesk.status.choices import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from supportdesk.tickets.models import Case


def in_language(default: str, translations: dict[str, str], language: str | None) -> str:
    """The text in ``language`` where one is given, else the default text."""
    return translations.get((language or "")[:2]) or default


class Translated(models.Model):
    """A name written once, with translations where it differs by language."""

    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(
        _("name per language"),
        default=dict,
        blank=True,
        help_text=_('Where the name differs by language, e.g. {"pl": "...", "pt": "..."}.'),
    )
    #: Bumped by every save: the public page's ETag is built from these.
    revised_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str | None) -> str:
        return in_language(self.name, self.names, language)


class Revision(models.Model):
    """Two numbers, read together: one raised by every saved status row (in its transaction),
    one by every saved row that decides who sees what of the page (people, organizations,
    contracts, plans; once committed). A reader learns whether anything they may see changed
    with one read, and a sign-in never waits on a long status write to raise its own."""

    STATUS = 1
    READERS = 2
    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.number)


class ComponentGroup(Translated):
    slug = models.SlugField(_("key"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("component group")
        verbose_name_plural = _("component groups")


class ComponentQuerySet(RestrictedQuerySet["Component"]):
    """Visitors see public components; a customer also those of their organization and of the
    plan in force for it, and only those; the desk sees every component."""

    def restrict(
        self, user: "User | AnonymousUser | None", action: Action = Action.VIEW
    ) -> "ComponentQuerySet":
        customer = isinstance(user, User) and user.is_active and user.contact_or_none is not None
        if action == Action.VIEW and not works_the_desk(user) and not customer:
            return self.filter(audience=Audience.PUBLIC)
        return super().restrict(user, action)

    def for_desk(self, user: User, action: Action) -> "ComponentQuerySet":
        return self

    def for_contact(self, contact: Contact, action: Action) -> "ComponentQuerySet":
        if action != Action.VIEW:
            return self.none()
        through = Component.organizations.through.objects
        allowed = Q(audience=Audience.PUBLIC) | Q(
            audience=Audience.ORGANIZATIONS,
            pk__in=through.filter(organization_id=contact.organization_id).values("component_id"),
        )
        plan = plan_in_force(contact)
        if plan is not None:
            plans = Component.plans.through.objects.filter(plan_id=plan)
            allowed |= Q(audience=Audience.PLANS, pk__in=plans.values("component_id"))
        return self.filter(allowed)


def plan_in_force(contact: Contact) -> int | None:
    """The plan of the contact's contract in force, asked once per loaded contact (once per
    request) however many of the page's lists, and its ETag, filter by it."""
    if "_status_plan" not in contact.__dict__:
        contract = in_force(contact.organization_id)
        contact.__dict__["_status_plan"] = contract.plan_id if contract else None
    return contact.__dict__["_status_plan"]


class Component(Translated):
    slug = models.SlugField(_("key"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    group = models.ForeignKey(
        ComponentGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="components",
        verbose_name=_("group"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    audience = models.CharField(
        _("shown to"), max_length=20, choices=Audience.choices, default=Audience.PUBLIC
    )
    organizations = models.ManyToManyField(
        Organization, blank=True, related_name="status_components", verbose_name=_("organizations")
    )
    plans = models.ManyToManyField(
        Plan, blank=True, related_name="status_components", verbose_name=_("plans")
    )
    #: The latest of its history, kept by the services so pages need not read history.
    status = models.CharField(
        _("status"),
        max_length=30,
        choices=ComponentStatus.choices,
        default=ComponentStatus.OPERATIONAL,
        editable=False,
    )
    status_since = models.DateTimeField(_("since"), editable=False)
    created_at = models.DateTimeField(_("created"), editable=False)

    objects = ComponentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("component")
        verbose_name_plural = _("components")


class StatusChange(models.Model):
    """A component took ``status`` at ``at``, for an incident, a maintenance or by hand."""

    component = models.ForeignKey(Component, models.CASCADE, related_name="history")
    at = models.DateTimeField()
    status = models.CharField(max_length=30, choices=ComponentStatus.choices)
    incident = models.ForeignKey(
        "Incident", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    maintenance = models.ForeignKey(
        "Maintenance", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["component", "at", "pk"]
        indexes = [models.Index(fields=["component", "at"])]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} {self.at:%Y-%m-%d %H:%M}"


class NoticeQuerySet(models.QuerySet):
    """Incidents and maintenance are seen by whoever sees one of their components; one that
    names no component concerns everyone."""

    def visible_to(self, user: "User | AnonymousUser | None") -> "NoticeQuerySet":
        if works_the_desk(user):
            return self
        through = self.model.components.through.objects
        seen = Component.objects.visible_to(user)
        touching = through.filter(component__in=seen).values(f"{self.model._meta.model_name}_id")
        anywhere = through.values(f"{self.model._meta.model_name}_id")
        return self.filter(Q(pk__in=touching) | ~Q(pk__in=anywhere))


class Incident(Translated):
    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices)
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices)
    components = models.ManyToManyField(
        Component, blank=True, related_name="incidents", verbose_name=_("affected components")
    )
    started_at = models.DateTimeField(_("started"))
    updated_at = models.DateTimeField(_("updated"))
    monitoring_at = models.DateTimeField(_("monitoring since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    #: A draft (opened by a monitor's alert) is seen by agents only until one publishes it.
    published = models.BooleanField(_("published"), default=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")


class Update(models.Model):
    """A dated statement, written once with translations where they are given."""

    at = models.DateTimeField(_("at"))
    body = models.TextField(_("text"))
    bodies = models.JSONField(_("text per language"), default=dict, blank=True)
    author = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        abstract = True
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"  # type: ignore[attr-defined]

    def body_in(self, language: str | None) -> str:
        return in_language(self.body, self.bodies, language)


class IncidentUpdate(Update):
    incident = models.ForeignKey(Incident, models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices)
    #: The statuses this update set, by component key.
    components = models.JSONField(default=dict, blank=True)


class CaseLink(models.Model):
    """A case the incident caused; an update can answer every linked case at once."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="case_links")
    case = models.ForeignKey(Case, models.CASCADE, related_name="incident_links")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    #: The latest update posted to the case, so no update reaches a case twice.
    answered = models.ForeignKey(
        IncidentUpdate, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "case"], name="status_case_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} → {self.case_id}"


class Maintenance(Translated):
    status = models.CharField(_("status"), max_length=20, choices=MaintenanceStatus.choices)
    components = models.ManyToManyField(
        Component, blank=True, related_name="maintenances", verbose_name=_("components")
    )
    starts_at = models.DateTimeField(_("scheduled for"))
    ends_at = models.DateTimeField(_("scheduled until"))
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("scheduled maintenance")
        verbose_name_plural = _("scheduled maintenance")


class MaintenanceUpdate(Update):
    maintenance = models.ForeignKey(Maintenance, models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=20, choices=MaintenanceStatus.choices)


class Alert(models.Model):
    """One monitor alert (by Alertmanager's fingerprint): the status it put its component in,
    the status to restore when it resolves, and the draft incident it opened."""

    fingerprint = models.CharField(max_length=100, unique=True)
    component = models.ForeignKey(Component, models.CASCADE, related_name="alerts")
    name = models.CharField(max_length=200)
    severity = models.CharField(max_length=30, blank=True)
    status_set = models.CharField(max_length=30, choices=ComponentStatus.choices)
    status_before = models.CharField(max_length=30, choices=ComponentStatus.choices)
    incident = models.ForeignKey(Incident, models.SET_NULL, null=True, related_name="alerts")
    firing = models.BooleanField(default=True)
    fired_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} on {self.component_id}"


class AlertDelivery(models.Model):
    """A monitor's webhook as it arrived, stored before it is read, and what came of it."""

    received_at = models.DateTimeField()
    body = models.TextField()
    outcome = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"delivery {self.pk} at {self.received_at:%Y-%m-%d %H:%M}"


class Subscription(models.Model):
    """Email updates about one component, or about every component the subscriber may see
    (``component`` empty); live once the address is confirmed by the emailed link."""

    email = models.EmailField(_("email"))
    component = models.ForeignKey(
        Component, models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    #: Whose view "every component" means: a signed-in customer's; empty for a visitor.
    user = models.ForeignKey(User, models.CASCADE, null=True, blank=True, related_name="+")
    language = models.CharField(max_length=8)
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "component"], name="status_subscribe_once_per_component"
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(component__isnull=True),
                name="status_subscribe_once_to_all",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.component_id or 'all'}"
