"""What agents keep for their own work in the workspace: saved queue views and canned replies."""

from urllib.parse import urlencode

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.models import Brand, User
from supportdesk.tickets.choices import Status


class SavedViewQuerySet(RestrictedQuerySet["SavedView"]):
    """An agent's own views, and the views colleagues of the same brand shared."""

    def for_desk(self, user: User, action: Action) -> "SavedViewQuerySet":
        own = Q(owner=user)
        if action == Action.CHANGE:
            return self.filter(own)
        return super().for_desk(user, action).filter(own | Q(shared=True))


class SavedView(models.Model):
    """A named set of queue filters (the URL's parameters), private or shared with the team."""

    owner = models.ForeignKey(User, models.CASCADE, related_name="saved_views")
    brand = models.ForeignKey(
        Brand, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("brand")
    )
    name = models.CharField(_("name"), max_length=80)
    params = models.JSONField(_("filters"), default=dict)
    shared = models.BooleanField(
        _("shared with the team"),
        default=False,
        help_text=_("Every agent of the brand sees it in the queue."),
    )
    created_at = models.DateTimeField()

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="view_name_once")]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name

    @property
    def query(self) -> str:
        """The view as the queue's URL parameters."""
        return urlencode(self.params)


class MacroQuerySet(RestrictedQuerySet["Macro"]):
    """Canned replies are the brand's: every agent of the brand uses and edits them."""


class Macro(models.Model):
    """A canned reply: a text with a few variables, and optionally the status it sets."""

    brand = models.ForeignKey(
        Brand, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("brand")
    )
    name = models.CharField(_("name"), max_length=120)
    body = models.TextField(
        _("text"),
    )
    status = models.CharField(
        _("then set status"), max_length=10, choices=Status.choices, blank=True
    )
    updated_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField()

    objects = MacroQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.name
