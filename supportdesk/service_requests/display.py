"""A request as people read it: its values as text, its promised dates ("between 14 and 18
March", in the active language's date formats), its checklist."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from supportdesk.plans.choices import Metric
from supportdesk.service_requests.choices import ADDRESS_PARTS, MILESTONES, FieldType
from supportdesk.service_requests.definitions import FieldDef, in_language
from supportdesk.service_requests.models import ServiceRequest
from supportdesk.tickets.display import running_text


def address_text(address: Mapping[str, str]) -> str:
    return ", ".join(address[p] for p in ADDRESS_PARTS if address.get(p))


def value_text(definition: FieldDef, value: Any) -> str:
    """One field's value on one line (a file by its name; a signature by who and when)."""
    if value is None or value == "":
        return "—"
    if definition.type == FieldType.PHONE_NUMBERS:
        return ", ".join(value)
    if definition.type == FieldType.ADDRESS:
        return address_text(value)
    if definition.type == FieldType.CHOICE:
        return definition.choice_label(value)
    if definition.type == FieldType.DATE:
        return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
    if definition.type == FieldType.FILE:
        return value["name"]
    if definition.type == FieldType.SIGNATURE:
        return _("signed by %(name)s") % {"name": value["name"]}
    return str(value)


def summary(definitions: Sequence[FieldDef], values: Mapping[str, Any]) -> str:
    """The request as the case's first message: one "label: value" line a field."""
    return "\n".join(
        f"{d.label_text}: {value_text(d, values.get(d.key))}"
        for d in definitions
        if d.key in values or d.type == FieldType.FILE
    )


def letter_facts(
    definitions: Sequence[FieldDef], values: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """What a letter of agency is for: the numbers and addresses of the request."""
    kinds = (FieldType.PHONE_NUMBERS, FieldType.ADDRESS)
    return [
        (d.label_text, value_text(d, values[d.key]))
        for d in definitions
        if d.type in kinds and d.key in values
    ]


def date_range(start: date, end: date) -> str:
    """ "on 18 March", "between 14 and 18 March", "between 28 March and 3 April"; with the
    year where the two dates' years differ."""
    if start == end:
        return _("on %(date)s") % {
            "date": running_text(formats.date_format(end, "MONTH_DAY_FORMAT"))
        }
    if start.year != end.year:
        first = formats.date_format(start, "DATE_FORMAT")
        last = formats.date_format(end, "DATE_FORMAT")
    elif start.month == end.month:
        first, last = str(start.day), formats.date_format(end, "MONTH_DAY_FORMAT")
    else:
        first = formats.date_format(start, "MONTH_DAY_FORMAT")
        last = formats.date_format(end, "MONTH_DAY_FORMAT")
    return _("between %(first)s and %(last)s") % {
        "first": running_text(first),
        "last": running_text(last),
    }


@dataclass(frozen=True)
class MilestoneView:
    metric: str
    start: date
    end: date
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None

    @property
    def label(self) -> str:
        return str(Metric(self.metric).label)

    @property
    def when(self) -> str:
        return date_range(self.start, self.end)

    @property
    def sentence(self) -> str:
        """What the customer is told of it."""
        if self.metric == Metric.CONFIRMATION:
            return _("We confirm your request by email %(when)s.") % {"when": self.when}
        return _("Your request will be done %(when)s.") % {"when": self.when}


def milestones(request: ServiceRequest, clocks: Sequence[Any] = ()) -> list[MilestoneView]:
    """The promised milestones in order, with their clocks' state where given."""
    by_metric = {c.metric: c for c in clocks}
    views = []
    for metric in MILESTONES:
        promised = request.promised.get(metric)
        if promised is None:
            continue
        clock = by_metric.get(metric)
        views.append(
            MilestoneView(
                metric,
                date.fromisoformat(promised["from"]),
                date.fromisoformat(promised["to"]),
                datetime.fromisoformat(promised["to_at"]),
                clock.met_at if clock is not None else None,
                clock.breached_at if clock is not None else None,
            )
        )
    return views


@dataclass(frozen=True)
class FieldView:
    label: str
    type: str
    text: str
    #: The attachment to download (a file, a signed letter); None for other values.
    attachment: int | None
    #: What a signature records besides the name: when, from where.
    lines: tuple[str, ...] = ()


def field_views(request: ServiceRequest) -> list[FieldView]:
    views = []
    for definition in request.request_type.definitions():
        value = request.values.get(definition.key)
        attachment = value.get("attachment") if isinstance(value, dict) else None
        lines: tuple[str, ...] = ()
        if definition.type == FieldType.SIGNATURE and value:
            signed = datetime.fromisoformat(value["signed_at"])
            lines = (
                _("signed at %(when)s")
                % {"when": formats.date_format(timezone.localtime(signed), "DATETIME_FORMAT")},
                _("from %(address)s") % {"address": value.get("ip") or "—"},
            )
        views.append(
            FieldView(
                definition.label_text,
                definition.type,
                value_text(definition, value),
                attachment,
                lines,
            )
        )
    return views


@dataclass(frozen=True)
class ChecklistItem:
    index: int
    text: str
    done_at: datetime | None
    done_by: str | None


def checklist(request: ServiceRequest) -> list[ChecklistItem]:
    return [
        ChecklistItem(
            index,
            in_language(item["item"]),
            datetime.fromisoformat(item["done_at"]) if item["done_at"] else None,
            item["done_by"],
        )
        for index, item in enumerate(request.checklist)
    ]
