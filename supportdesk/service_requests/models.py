"""Request types (forms a provider offers its customers: number porting, a new user, a menu
change) and the requests submitted with them, each one a case in the agents' queue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.models import Brand, Contact
from supportdesk.service_requests.choices import Who
from supportdesk.service_requests.definitions import (
    FieldDef,
    in_language,
    parse_checklist,
    parse_fields,
    parse_targets,
)
from supportdesk.tickets.models import Case


class RequestTypeQuerySet(RestrictedQuerySet["RequestType"]):
    """Agents see their provider's types; a customer the active ones of their provider (which
    of them they may submit is ``services.may_submit``)."""

    def for_contact(self, contact: Contact, action: Action) -> "RequestTypeQuerySet":
        if action != Action.VIEW:
            return self.none()
        brand = contact.organization.brand_id
        scope = models.Q(brand__isnull=True)
        if brand is not None:
            scope |= models.Q(brand_id=brand)
        return self.filter(scope, active=True)


class RequestType(models.Model):
    slug = models.SlugField(_("key"), max_length=100, unique=True)
    names = models.JSONField(_("name per language"), help_text=_('e.g. {"pl": "...", "en": "..."}'))
    descriptions = models.JSONField(_("description per language"), default=dict, blank=True)
    who = models.CharField(_("who may submit"), max_length=10, choices=Who.choices)
    fields = models.JSONField(
        _("form fields"),
        default=list,
        blank=True,
        help_text=_(
            'A list like [{"key": "numbers", "type": "phone_numbers", "required": true}]; '
            "types: text, number, choice, date, phone_numbers, address, file, signature."
        ),
    )
    checklist = models.JSONField(
        _("checklist for agents"),
        default=list,
        blank=True,
        help_text=_('A list of items, each like {"pl": "...", "en": "..."}.'),
    )
    targets = models.JSONField(
        _("targets"),
        default=dict,
        blank=True,
        help_text=_(
            'Business days on the plan\'s calendar, e.g. {"confirmation": [5, 7], '
            '"completion": [7, 10]}.'
        ),
    )
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="request_types",
        verbose_name=_("brand"),
        help_text=_("The provider that offers it; empty: every provider on the desk."),
    )
    active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = RequestTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.names, default=self.slug)

    @property
    def description(self) -> str:
        return in_language(self.descriptions)

    def definitions(self) -> list[FieldDef]:
        return parse_fields(self.fields)

    def milestones(self) -> dict[str, tuple[int, int]]:
        return parse_targets(self.targets)

    def checklist_items(self) -> list[dict[str, str]]:
        return parse_checklist(self.checklist)


class ServiceRequestQuerySet(RestrictedQuerySet["ServiceRequest"]):
    """A request is seen by whoever sees its case."""

    brand_path = "case__brand"

    def for_contact(self, contact: Contact, action: Action) -> "ServiceRequestQuerySet":
        return self.filter(case__in=Case.objects.for_contact(contact, action))


class ServiceRequest(models.Model):
    """A submitted request: the case it is (same id), what the form said, the agents'
    checklist and the dates promised.

    ``values`` holds each field's value; a file field's is ``{"attachment", "name", "size",
    "content_type"}`` (the file is the case's attachment), a signature's ``{"name", "consent",
    "signed_at", "ip", "attachment"}`` (the signed letter). ``checklist`` is the type's list as
    it was at submission, each item with ``done_at`` and ``done_by``. ``promised``:
    ``{metric: {"from", "to"}}`` as local dates, ISO.
    """

    case = models.OneToOneField(
        Case, models.CASCADE, primary_key=True, related_name="service_request"
    )
    request_type = models.ForeignKey(
        RequestType, models.PROTECT, related_name="requests", verbose_name=_("request type")
    )
    submitted_by = models.ForeignKey(
        Contact, models.SET_NULL, null=True, related_name="service_requests"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    values = models.JSONField(default=dict)
    checklist = models.JSONField(default=list)
    promised = models.JSONField(default=dict)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-case_id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def __str__(self) -> str:
        return f"{self.request_type.slug} {self.case_id}"
