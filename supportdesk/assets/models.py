"""The devices an organization's people use, and whether the contract covers each one."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.models import Contact, Organization
from supportdesk.assets.choices import DeviceClass

#: How long the texts of a device may be (the import and the world file check them first).
LENGTHS = {"serial": 100, "model": 200, "location": 300}


class AssetQuerySet(RestrictedQuerySet["Asset"]):
    """Agents see their brand's customers' devices; a customer contact sees (never changes)
    the devices of their own organization."""

    brand_path = "organization__brand"

    def for_contact(self, contact: Contact, action: Action) -> "AssetQuerySet":
        if action != Action.VIEW:
            return self.none()
        return self.filter(organization_id=contact.organization_id)


class Asset(models.Model):
    """A device by its serial number; ``under_contract``: bought under the contract, so a plan
    that covers only such devices (``Plan.assets_only``) covers cases about it."""

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="assets", verbose_name=_("organization")
    )
    serial = models.CharField(_("serial number"), max_length=LENGTHS["serial"])
    model = models.CharField(_("model"), max_length=LENGTHS["model"], blank=True)
    device_class = models.CharField(_("class"), max_length=20, choices=DeviceClass.choices)
    location = models.CharField(_("location"), max_length=LENGTHS["location"], blank=True)
    user = models.ForeignKey(
        Contact,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("used by"),
    )
    under_contract = models.BooleanField(_("under contract"), default=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "serial"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(fields=["organization", "serial"], name="serial_once_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} ({self.model})" if self.model else self.serial
