"""The world file's ``request_types:`` section: the forms a provider's customers submit.

    request_types:
      number-porting:
        name: {pl: "Przeniesienie numerów", pt: "Portabilidade de números", en: "Number porting"}
        who: owner                      # any | admins | owner
        fields:
          - {key: numbers, type: phone_numbers, required: true,
             label: {pl: "Numery", en: "Numbers"}}
          - {key: bill, type: file, types: [application/pdf, image/png], max_mb: 10, required: true}
          - {key: emergency_address, type: address, required: true}
          - {key: loa, type: signature, required: true}
        checklist: [{en: "Letter of agency checked", pl: "..."}]
        targets: {confirmation: {business_days: [5, 7]}, completion: {business_days: [7, 10]}}
        brand: meetwave

Field types: text (``max_length``), number (``min``, ``max``), choice (``choices``: a list of
values, or values with their labels by language), date (``future: true``: not before the day
of submission), phone_numbers, address, file (``types``, ``max_mb``), signature. Targets count
business days on the organization's calendar; ``[7, 10]`` promises the 7th to the 10th. Checked
like the rest of the file, every problem with its key path and line; the form's rules are the
request types' own (``service_requests.definitions``), so the admin and the file agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from django.utils.translation import gettext as _
from pydantic import PlainValidator, model_validator

from supportdesk.accounts.models import Brand
from supportdesk.service_requests.choices import FILE_TYPES, MILESTONES, FieldType, Who
from supportdesk.service_requests.definitions import DefinitionError, parse_field, parse_fields
from supportdesk.service_requests.services import save_request_type
from supportdesk.world.fields import (
    Bool,
    PositiveInt,
    Strict,
    Text,
    Texts,
    choice,
    fail,
    key_of,
)
from supportdesk.world.source import Node, show

if TYPE_CHECKING:
    from supportdesk.world.references import References


def plain(value: Any) -> Any:
    """Nodes as the plain values they hold."""
    if isinstance(value, Node):
        return plain(value.value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _number(node: Any) -> int | float:
    value = node.value if isinstance(node, Node) else node
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(_("%(v)s is not a number") % {"v": show(node)})
    return value


def _days(node: Any) -> list[int]:
    """``10`` or ``[7, 10]``."""
    value = plain(node)
    days = value if isinstance(value, list) else [value]
    if not (
        len(days) in (1, 2)
        and all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 250 for n in days)
    ):
        raise fail(_("%(v)s is not business days like 10 or [7, 10]") % {"v": show(node)})
    if days[0] > days[-1]:
        raise fail(_("the range starts after it ends"))
    return [days[0], days[-1]]


Number = Annotated[float, PlainValidator(_number)]
Days = Annotated[list[int], PlainValidator(_days)]
#: Checked with the rest of the field by the request types' own rules.
Choices = Annotated[Any, PlainValidator(plain)]


class FieldEntry(Strict):
    key: Text
    type: Annotated[str, choice(FieldType.values)]
    required: Bool = False
    label: Texts = {}
    help: Texts = {}
    max_length: PositiveInt | None = None
    min: Number | None = None
    max: Number | None = None
    choices: Choices = None
    future: Bool | None = None
    types: list[Annotated[str, choice(list(FILE_TYPES))]] | None = None
    max_mb: PositiveInt | None = None

    def definition(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude_defaults=False)

    @model_validator(mode="after")
    def _usable(self) -> FieldEntry:
        try:
            parse_field(self.definition())
        except DefinitionError as error:
            raise fail(error.message, *error.at) from None
        return self


class TargetEntry(Strict):
    business_days: Days


class RequestTypeEntry(Strict):
    name: Texts
    description: Texts = {}
    who: Annotated[str, choice(Who.values)]
    fields: list[FieldEntry] = []
    checklist: list[Texts] = []
    targets: dict[Annotated[str, key_of(list(MILESTONES))], TargetEntry] = {}
    brand: Text | None = None

    @model_validator(mode="after")
    def _a_name_and_one_key_each(self) -> RequestTypeEntry:
        if not self.name:
            raise fail(_("give a name in at least one language"), "name")
        try:
            parse_fields([f.definition() for f in self.fields])
        except DefinitionError as error:
            index, *rest = error.at
            raise fail(error.message, "fields", index, *rest) from None
        return self


@dataclass
class RequestTypeSpec:
    slug: str
    names: dict[str, str]
    who: str
    descriptions: dict[str, str] = field(default_factory=dict)
    fields: list[dict[str, Any]] = field(default_factory=list)
    checklist: list[dict[str, str]] = field(default_factory=list)
    targets: dict[str, list[int]] = field(default_factory=dict)
    brand: str | None = None


def request_type_specs(section: dict[str, RequestTypeEntry]) -> list[RequestTypeSpec]:
    return [
        RequestTypeSpec(
            slug,
            dict(entry.name),
            entry.who,
            dict(entry.description),
            [f.definition() for f in entry.fields],
            [dict(item) for item in entry.checklist],
            {metric: target.business_days for metric, target in entry.targets.items()},
            entry.brand,
        )
        for slug, entry in section.items()
    ]


def check_request_type_references(refs: References, section: dict[str, RequestTypeEntry]) -> None:
    """A type's brand must be in the file or the database."""
    for slug, entry in section.items():
        if entry.brand is not None:
            refs.brand_ref(("request_types", slug, "brand"), entry.brand)


def apply_request_types(specs: list[RequestTypeSpec], report) -> None:
    """After the brands they name; in the order the file lists them."""
    brands = {b.slug: b for b in Brand.objects.all()}
    for position, spec in enumerate(specs):
        _request_type, change = save_request_type(
            spec.slug,
            names=spec.names,
            descriptions=spec.descriptions,
            who=spec.who,
            fields=spec.fields,
            checklist=spec.checklist,
            targets={metric: {"business_days": days} for metric, days in spec.targets.items()},
            brand=brands.get(spec.brand) if spec.brand else None,
            position=position,
        )
        report.add("request types", change)
