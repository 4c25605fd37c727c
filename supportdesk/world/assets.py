"""The world file's devices: each organization's, under ``organizations.X.assets``.

    organizations:
      kancelaria-nowak:
        plan: techopieka-premium            # a plan with assets_only: true
        contacts:
          - {name: Zofia Lis, email: zofia@kancelaria-nowak.pl.example, role: member}
        assets:
          - {serial: SN-1234, model: "ThinkPad T14", class: laptop,
             location: "Warszawa, ul. Prosta 1", user: zofia@kancelaria-nowak.pl.example,
             under_contract: true}

Checked like the rest of the file, every problem with its key path and line: the class is one
of the desk's device classes, a serial is listed once per organization (in capitals: ``sn-1``
and ``SN-1`` are one device), and the user is a contact of that organization, in the file or
the database. ``under_contract`` may be left out when true: a provider lists the devices it
looks after. Devices the file does not list are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from django.utils.translation import gettext as _
from pydantic import Field, model_validator

from supportdesk.accounts.choices import AddressKind
from supportdesk.accounts.models import Contact, Organization, RegisteredAddress
from supportdesk.assets.choices import DeviceClass
from supportdesk.assets.models import LENGTHS
from supportdesk.assets.services import normalize_serial, save_asset
from supportdesk.world.fields import Bool, Email, Strict, Text, at, choice, fail
from supportdesk.world.source import show

if TYPE_CHECKING:
    from supportdesk.world.references import References
    from supportdesk.world.schema import OrganizationEntry


class AssetEntry(Strict):
    serial: Text
    model: Text = ""
    device_class: Annotated[str, choice(DeviceClass.values)] = Field(alias="class")
    location: Text = ""
    user: Email | None = None
    under_contract: Bool = True

    @model_validator(mode="after")
    def _fits(self) -> AssetEntry:
        for name, limit in LENGTHS.items():
            if len(getattr(self, name)) > limit:
                raise fail(_("longer than %(n)s characters") % {"n": limit}, name)
        return self


@dataclass
class AssetSpec:
    serial: str
    model: str
    device_class: str
    location: str
    user: str | None
    under_contract: bool


def asset_specs(entries: list[AssetEntry]) -> list[AssetSpec]:
    return [
        AssetSpec(
            normalize_serial(a.serial),
            a.model,
            a.device_class,
            a.location,
            a.user,
            a.under_contract,
        )
        for a in entries
    ]


def check_asset_references(refs: References, slug: str, organization: OrganizationEntry) -> None:
    """Each serial once in the organization; each user one of its contacts (here or in the
    database)."""
    where = ("organizations", slug, "assets")
    contacts = {c.email for c in organization.contacts if c.email is not None}
    contacts |= set(
        RegisteredAddress.objects.filter(
            kind=AddressKind.EMAIL, contact__organization__slug=slug
        ).values_list("value", flat=True)
    )
    first: dict[str, int] = {}
    for index, asset in enumerate(organization.assets):
        serial = normalize_serial(asset.serial)
        if serial in first:
            line = at(refs.root, (*where, first[serial])).line
            refs.fail(
                (*where, index, "serial"),
                _("%(v)s is already listed on line %(line)s") % {"v": show(serial), "line": line},
            )
        else:
            first[serial] = index
        if asset.user is not None and asset.user not in contacts:
            refs.fail(
                (*where, index, "user"),
                _('"%(ref)s" is not a contact of organization "%(org)s" in this file or the '
                  "database") % {"ref": asset.user, "org": slug},
            )  # fmt: skip


def apply_assets(organization: Organization, specs: list[AssetSpec], report) -> None:
    """After the organization's contacts, whom devices name as their users."""
    if not specs:
        return
    users = {
        address.value: address.contact
        for address in RegisteredAddress.objects.filter(
            kind=AddressKind.EMAIL, contact__organization=organization
        ).select_related("contact")
    }
    for spec in specs:
        user: Contact | None = users[spec.user] if spec.user else None
        _asset, change = save_asset(
            organization,
            spec.serial,
            model=spec.model,
            device_class=spec.device_class,
            location=spec.location,
            user=user,
            under_contract=spec.under_contract,
        )
        report.add("devices", change)
