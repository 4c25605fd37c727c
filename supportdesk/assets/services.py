"""The only write path for devices, and how a case's text names one.

A serial number is kept in capitals without surrounding spaces, so ``sn-1234`` in a customer's
mail, ``SN-1234`` in the CSV and ``SN-1234 `` in the world file are one device.
"""

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Contact, Organization
from supportdesk.assets.choices import DeviceClass
from supportdesk.assets.models import Asset
from supportdesk.plans.services import Change, upsert

#: A word that could be a serial number: letters, digits and - _ / . inside, 3 or more long.
_SERIAL_LIKE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-_/.]*[A-Za-z0-9])?")
#: How many words of a message are looked up at most (a pasted log must not become a query
#: with thousands of parameters).
_MOST_WORDS = 500


class AssetError(ValueError):
    """A device that cannot be saved as given; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def normalize_serial(serial: str) -> str:
    return serial.strip().upper()


def save_asset(
    organization: Organization,
    serial: str,
    *,
    model: str = "",
    device_class: str = DeviceClass.OTHER,
    location: str = "",
    user: Contact | None = None,
    under_contract: bool = True,
) -> tuple[Asset, Change]:
    """Create the organization's device with this serial, or set it to what is given; writes
    only the values that differ. The user must be a contact of the same organization."""
    serial = normalize_serial(serial)
    if not serial:
        raise AssetError("serial", _("A device needs a serial number."))
    if device_class not in DeviceClass.values:
        raise AssetError(
            "class",
            _('"%(value)s" is not a device class (expected one of: %(classes)s)')
            % {"value": device_class, "classes": ", ".join(DeviceClass.values)},
        )
    if user is not None and user.organization_id != organization.pk:
        raise AssetError(
            "user",
            _("%(user)s is not a contact of %(org)s.") % {"user": user, "org": organization},
        )
    values = {
        "model": model.strip(),
        "device_class": device_class,
        "location": location.strip(),
        "user": user,
        "under_contract": under_contract,
    }
    return upsert(Asset, {"organization": organization, "serial": serial}, values)


def asset_of(organization: Organization | None, serial: str) -> Asset | None:
    """The organization's device with this serial number, if it has one."""
    if organization is None or not serial.strip():
        return None
    return Asset.objects.filter(organization=organization, serial=normalize_serial(serial)).first()


def named_in(organization: Organization | None, *texts: str) -> Asset | None:
    """The organization's device whose serial number a message mentions (the first one
    mentioned, subject before body); ``None`` when it mentions none of theirs."""
    if organization is None:
        return None
    words = list(dict.fromkeys(_words(texts)))[:_MOST_WORDS]
    if not words:
        return None
    found = {
        asset.serial: asset
        for asset in Asset.objects.filter(organization=organization, serial__in=words)
    }
    return next((found[word] for word in words if word in found), None)


def _words(texts: Iterable[str]) -> Iterable[str]:
    for text in texts:
        for match in _SERIAL_LIKE.finditer(text or ""):
            word = match.group().upper()
            if len(word) >= 3:
                yield word


@transaction.atomic
def save_assets(organization: Organization, rows: Iterable[dict]) -> dict[Change, int]:
    """Save many devices at once (an import): all of them or, on the first error, none."""
    counts = dict.fromkeys(Change, 0)
    for row in rows:
        _asset, change = save_asset(organization, **row)
        counts[change] += 1
    return counts
