"""The world file's ``field:`` section: who goes on site, and the provider's loaner pool.

    field:
      technicians: [marek@techopieka.example]        # agents in the file or the database
      loaners:
        LN-7: {class: laptop, model: "ThinkPad T480", brand: techopieka}

Technicians get a day list of visits; loaners are lent by class while a device is repaired.
Agents and loaners the file does not list are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from django.utils.translation import gettext as _
from pydantic import Field

from supportdesk.accounts.models import Brand, User
from supportdesk.assets.choices import DeviceClass
from supportdesk.field import services
from supportdesk.field.models import Loaner, Technician
from supportdesk.plans.services import Change
from supportdesk.world.fields import Email, SlugKey, Strict, Text, choice
from supportdesk.world.source import show

if TYPE_CHECKING:
    from supportdesk.world.references import References


class LoanerEntry(Strict):
    device_class: Annotated[str, choice(DeviceClass.values)] = Field(alias="class")
    model: Text = ""
    brand: Text | None = None


class FieldSection(Strict):
    technicians: list[Email] = []
    loaners: dict[SlugKey, LoanerEntry] = {}


@dataclass
class FieldSpec:
    technicians: list[str] = field(default_factory=list)
    loaners: dict[str, LoanerEntry] = field(default_factory=dict)


def field_spec(section: FieldSection) -> FieldSpec:
    return FieldSpec(list(dict.fromkeys(section.technicians)), dict(section.loaners))


def check_field_references(refs: References, section: FieldSection) -> None:
    agents = refs.known.agents | refs.declared["agents"]
    for index, email in enumerate(section.technicians):
        if email not in agents:
            refs.fail(
                ("field", "technicians", index),
                _("%(v)s is not an agent in this file or the database") % {"v": show(email)},
            )
    for serial, loaner in section.loaners.items():
        if loaner.brand is not None:
            refs.brand_ref(("field", "loaners", serial, "brand"), loaner.brand)


def apply_field(spec: FieldSpec, report) -> None:
    """After agents and brands, which the section names."""
    for email in spec.technicians:
        user = User.objects.get(email=email)
        known = Technician.objects.filter(user=user).exists()
        services.set_technician(user)
        report.add("technicians", Change.UNCHANGED if known else Change.CREATED)
    brands = {b.slug: b for b in Brand.objects.all()}
    for serial, entry in spec.loaners.items():
        before = Loaner.objects.filter(serial=serial.upper()).first()
        brand = brands.get(entry.brand) if entry.brand else None
        wanted = (entry.device_class, entry.model, brand.pk if brand else None)
        if before is not None and (before.device_class, before.model, before.brand_id) == wanted:
            report.add("loaners", Change.UNCHANGED)
            continue
        services.save_loaner(
            serial, device_class=entry.device_class, model=entry.model, brand=brand
        )
        report.add("loaners", Change.CREATED if before is None else Change.UPDATED)
