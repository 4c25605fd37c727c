"""A request type's form: its field definitions, and the values a submission gives them.

A definition is plain JSON, as the world file and the admin write it::

    {"key": "numbers", "type": "phone_numbers", "required": true,
     "label": {"pl": "Numery", "en": "Numbers"}}

``parse_fields`` checks definitions (one rule for the world file, the admin and the service);
``clean_values`` checks a submission against them and says, per field, what is wrong in words
that name the field. Phone numbers must belong to the location's country: the country of the
form's first address field, when the submission gives one.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import filetype
import phonenumbers
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from supportdesk.service_requests.choices import ADDRESS_PARTS, FILE_TYPES, MILESTONES, FieldType
from supportdesk.tickets.text import has_control

_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")
#: The most a file field may allow, in MB; the desk's own upload limit still applies.
MAX_MB = 50
TEXT_LENGTH = 2000
MAX_NUMBERS = 500
#: Only what this section may hold, by type; ``key``, ``type``, ``required``, ``label`` and
#: ``help`` are every field's.
_OPTIONS: dict[str, set[str]] = {
    FieldType.TEXT: {"max_length"},
    FieldType.NUMBER: {"min", "max"},
    FieldType.CHOICE: {"choices"},
    FieldType.DATE: {"future"},
    FieldType.PHONE_NUMBERS: set(),
    FieldType.ADDRESS: set(),
    FieldType.FILE: {"types", "max_mb"},
    FieldType.SIGNATURE: set(),
}
_COMMON = {"key", "type", "required", "label", "help"}


class DefinitionError(ValueError):
    """A field definition that cannot be used; ``at`` is its key path below the field."""

    def __init__(self, message: str, *at: str | int):
        super().__init__(message)
        self.message, self.at = message, at


def in_language(texts: Mapping[str, str], language: str | None = None, default: str = "") -> str:
    """The text in the active (or given) language, else English, else the first written."""
    language = (language or get_language() or "en")[:2]
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), default)


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class FieldDef:
    key: str
    type: str
    required: bool = False
    label: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    max_length: int = TEXT_LENGTH
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[Choice, ...] = ()
    future: bool = False
    types: tuple[str, ...] = ()
    max_mb: int = 10

    @property
    def label_text(self) -> str:
        """The field's name as the form shows it (the key, when no label is written)."""
        return in_language(self.label) or self.key.replace("_", " ").capitalize()

    @property
    def help_text(self) -> str:
        return in_language(self.help)

    @property
    def is_file(self) -> bool:
        return self.type == FieldType.FILE

    @property
    def max_bytes(self) -> int:
        """The field's limit, within the desk's limit for any attachment."""
        return min(self.max_mb * 1024 * 1024, settings.ATTACHMENT_MAX_BYTES)

    def choice_label(self, value: str) -> str:
        return next(
            (in_language(c.label) or c.value for c in self.choices if c.value == value), value
        )

    def as_json(self) -> dict[str, Any]:
        """The definition as the API and the database hold it (only what applies)."""
        out: dict[str, Any] = {"key": self.key, "type": self.type, "required": self.required}
        out["label"], out["help"] = dict(self.label), dict(self.help)
        if self.type == FieldType.TEXT:
            out["max_length"] = self.max_length
        elif self.type == FieldType.NUMBER:
            out["min"] = None if self.min is None else _plain(self.min)
            out["max"] = None if self.max is None else _plain(self.max)
        elif self.type == FieldType.CHOICE:
            out["choices"] = [{"value": c.value, "label": dict(c.label)} for c in self.choices]
        elif self.type == FieldType.DATE:
            out["future"] = self.future
        elif self.type == FieldType.FILE:
            out["types"], out["max_mb"] = list(self.types), self.max_mb
        return out


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _texts(value: Any, *at: str | int) -> dict[str, str]:
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise DefinitionError(_("write a text, or texts by language like {pl: ..., en: ...}"), *at)
    return {k: v.strip() for k, v in value.items()}


def _number(value: Any, *at: str | int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DefinitionError(_("expected a number"), *at)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DefinitionError(_("expected a number"), *at) from None
    if not number.is_finite():
        raise DefinitionError(_("expected a number"), *at)
    return number


def _choices(value: Any) -> tuple[Choice, ...]:
    """``[a, b]``, ``[{value: a, label: {...}}]`` or ``{a: {pl: ...}, b: ...}``."""
    if isinstance(value, dict):
        value = [{"value": k, "label": v} for k, v in value.items()]
    if not isinstance(value, list) or not value:
        raise DefinitionError(_("a choice field needs a list of choices"), "choices")
    out = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"value": item, "label": {}}
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise DefinitionError(_("a choice is a value with its label"), "choices", index)
        label = _texts(item["label"], "choices", index) if item.get("label") else {}
        out.append(Choice(item["value"], label))
    if len({c.value for c in out}) != len(out):
        raise DefinitionError(_("each choice's value must be different"), "choices")
    return tuple(out)


def parse_field(raw: Any) -> FieldDef:
    """One definition, checked; ``DefinitionError`` says what is wrong and where."""
    if not isinstance(raw, dict):
        raise DefinitionError(_("a field is a mapping with at least key and type"))
    key, kind = raw.get("key"), raw.get("type")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise DefinitionError(
            _("a field's key is lower-case letters, digits and _, starting with a letter"), "key"
        )
    if kind not in FieldType.values:
        raise DefinitionError(
            _("the type is one of %(types)s") % {"types": ", ".join(FieldType.values)}, "type"
        )
    for name in raw:
        if name not in _COMMON | _OPTIONS[kind]:
            raise DefinitionError(
                _('a %(type)s field has no option "%(name)s"') % {"type": kind, "name": name},
                name,
            )
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise DefinitionError(_("required is true or false"), "required")
    options: dict[str, Any] = {
        "label": _texts(raw["label"], "label") if "label" in raw else {},
        "help": _texts(raw["help"], "help") if "help" in raw else {},
    }
    if kind == FieldType.TEXT and "max_length" in raw:
        length = raw["max_length"]
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 10_000:
            raise DefinitionError(_("max_length is a whole number from 1 to 10000"), "max_length")
        options["max_length"] = length
    if kind == FieldType.NUMBER:
        for bound in ("min", "max"):
            if raw.get(bound) is not None:
                options[bound] = _number(raw[bound], bound)
        low, high = options.get("min"), options.get("max")
        if low is not None and high is not None and low > high:
            raise DefinitionError(_("min is more than max"), "max")
    if kind == FieldType.CHOICE:
        options["choices"] = _choices(raw.get("choices"))
    if kind == FieldType.DATE and "future" in raw:
        if not isinstance(raw["future"], bool):
            raise DefinitionError(_("future is true or false"), "future")
        options["future"] = raw["future"]
    if kind == FieldType.FILE:
        types = raw.get("types")
        if not isinstance(types, list) or not types:
            raise DefinitionError(
                _("a file field lists the types it takes, from %(types)s")
                % {"types": ", ".join(FILE_TYPES)},
                "types",
            )
        for index, mime in enumerate(types):
            if mime not in FILE_TYPES:
                raise DefinitionError(
                    _("%(type)s is not a type the desk can recognise; use %(types)s")
                    % {"type": mime, "types": ", ".join(FILE_TYPES)},
                    "types",
                    index,
                )
        options["types"] = tuple(dict.fromkeys(types))
        max_mb = raw.get("max_mb", 10)
        if isinstance(max_mb, bool) or not isinstance(max_mb, int) or not 1 <= max_mb <= MAX_MB:
            raise DefinitionError(
                _("max_mb is a whole number from 1 to %(n)s") % {"n": MAX_MB}, "max_mb"
            )
        options["max_mb"] = max_mb
    return FieldDef(key=key, type=kind, required=required, **options)


def parse_fields(raw: Any) -> list[FieldDef]:
    """A form's definitions, checked; ``DefinitionError.at`` starts with the field's index."""
    if not isinstance(raw, list):
        raise DefinitionError(_("the fields are a list"))
    fields, seen = [], set()
    for index, item in enumerate(raw):
        try:
            definition = parse_field(item)
        except DefinitionError as error:
            raise DefinitionError(error.message, index, *error.at) from None
        if definition.key in seen:
            raise DefinitionError(
                _('two fields have the key "%(key)s"') % {"key": definition.key}, index, "key"
            )
        seen.add(definition.key)
        fields.append(definition)
    return fields


def parse_targets(raw: Any) -> dict[str, tuple[int, int]]:
    """``{confirmation: {business_days: [5, 7]}, completion: {business_days: 10}}`` as
    ``{metric: (from, to)}``; a single number is a range of one day."""
    if not isinstance(raw, dict):
        raise DefinitionError(_("targets are a mapping of milestone to business days"))
    targets = {}
    for metric, target in raw.items():
        if metric not in MILESTONES:
            raise DefinitionError(
                _("a target is one of %(metrics)s") % {"metrics": ", ".join(MILESTONES)}, metric
            )
        days = target.get("business_days") if isinstance(target, dict) else target
        if isinstance(target, dict) and set(target) != {"business_days"}:
            raise DefinitionError(
                _("write {business_days: 10} or {business_days: [7, 10]}"), metric
            )
        if isinstance(days, list) and len(days) == 2:
            low, high = days
        else:
            low = high = days
        if not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 250 for n in (low, high)
        ):
            raise DefinitionError(
                _("business days are a whole number from 1 to 250, or a range like [7, 10]"),
                metric,
                "business_days",
            )
        if low > high:
            raise DefinitionError(_("the range starts after it ends"), metric, "business_days")
        targets[metric] = (low, high)
    return {metric: targets[metric] for metric in MILESTONES if metric in targets}


def parse_checklist(raw: Any) -> list[dict[str, str]]:
    """The agents' checklist: a list of items, each a text or texts by language."""
    if not isinstance(raw, list):
        raise DefinitionError(_("the checklist is a list of items"))
    return [_texts(item, index) for index, item in enumerate(raw)]


# ------------------------------------------------------------------------ submitted values


class Problems(dict[str, str]):
    """What is wrong with a submission, by field key, in words that name the field."""

    def add(self, definition: FieldDef, message: str) -> None:
        self.setdefault(
            definition.key,
            _("%(field)s: %(problem)s") % {"field": definition.label_text, "problem": message},
        )


@dataclass
class Cleaned:
    """A submission's values as stored, and its files (checked, not yet stored) by key."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[UploadedFile, str]] = field(default_factory=dict)


def _empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value is None or value == [] or value is False


def _clean_text(definition: FieldDef, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("expected text"))
    value = value.strip()
    if has_control(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise ValueError(_("remove the control characters"))
    if len(value) > definition.max_length:
        raise ValueError(_("at most %(n)s characters") % {"n": definition.max_length})
    return value


def _clean_number(definition: FieldDef, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(_("expected a number"))
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("%(v)s is not a number") % {"v": value}) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise ValueError(_("%(v)s is not a number") % {"v": value})
    if definition.min is not None and number < definition.min:
        raise ValueError(_("must be at least %(n)s") % {"n": _plain(definition.min)})
    if definition.max is not None and number > definition.max:
        raise ValueError(_("must be at most %(n)s") % {"n": _plain(definition.max)})
    return _plain(number)


def _clean_choice(definition: FieldDef, value: Any) -> str:
    allowed = [c.value for c in definition.choices]
    if value not in allowed:
        raise ValueError(
            _("choose one of %(choices)s")
            % {"choices": ", ".join(definition.choice_label(v) for v in allowed)}
        )
    return value


def _clean_date(definition: FieldDef, value: Any, today: date) -> str:
    try:
        day = date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(_("expected a date like 2026-03-14"))
    if definition.future and day < today:
        raise ValueError(_("the date must not be in the past"))
    return day.isoformat()


def _clean_address(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(k in ADDRESS_PARTS for k in value):
        raise ValueError(
            _("expected an address with %(parts)s") % {"parts": ", ".join(ADDRESS_PARTS)}
        )
    parts = {}
    for part in ADDRESS_PARTS:
        text = value.get(part) or ""
        if not isinstance(text, str) or has_control(text) or len(text) > 200:
            raise ValueError(_("%(part)s is not one line of text") % {"part": part})
        parts[part] = text.strip()
    parts["country"] = parts["country"].upper()
    for part in ("street", "city", "country"):
        if not parts[part]:
            raise ValueError(_("give the %(part)s") % {"part": _address_part(part)})
    if parts["country"] not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(_("%(v)s is not a country code like PL or PT") % {"v": parts["country"]})
    return parts


def _address_part(part: str) -> str:
    return {
        "street": _("street and number"),
        "postcode": _("postcode"),
        "city": _("city"),
        "country": _("country"),
    }[part]


def _clean_numbers(value: Any, country: str | None) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\n,;]+", value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(_("expected a list of phone numbers"))
    written = [v.strip() for v in value if v.strip()]
    if len(written) > MAX_NUMBERS:
        raise ValueError(_("at most %(n)s numbers in one request") % {"n": MAX_NUMBERS})
    numbers = []
    for text in written:
        try:
            number = phonenumbers.parse(text, country)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValueError(
                _("%(v)s is not a valid phone number (write it like +48221234567)") % {"v": text}
            )
        region = phonenumbers.region_code_for_number(number)
        if country is not None and region != country:
            raise ValueError(
                _("%(v)s is not a number of the location's country (%(country)s)")
                % {"v": text, "country": country}
            )
        numbers.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if not numbers:
        raise ValueError(_("give at least one number"))
    return list(dict.fromkeys(numbers))


def _clean_signature(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {"name", "consent"}:
        raise ValueError(_('expected {"name": your full name, "consent": true}'))
    name = value.get("name")
    if not isinstance(name, str) or not name.strip() or has_control(name) or len(name) > 200:
        raise ValueError(_("type your full name to sign"))
    if value.get("consent") is not True:
        raise ValueError(_("tick the box to agree to the letter of agency"))
    return {"name": " ".join(name.split()), "consent": True}


def sniff(upload: UploadedFile) -> str | None:
    """The file's type, from its first bytes (never from its name or the browser's word)."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def _clean_file(definition: FieldDef, upload: Any) -> tuple[UploadedFile, str]:
    if not isinstance(upload, UploadedFile):
        raise ValueError(_("send the file as a part of the form"))
    if (upload.size or 0) > definition.max_bytes:
        raise ValueError(
            _("%(name)s is larger than %(limit)s")
            % {"name": upload.name, "limit": filesizeformat(definition.max_bytes)}
        )
    if not upload.size:
        raise ValueError(_("%(name)s is empty") % {"name": upload.name})
    mime = sniff(upload)
    if mime not in definition.types:
        raise ValueError(
            _("%(name)s is not %(types)s (its content was checked, not its name)")
            % {
                "name": upload.name,
                "types": _(" or ").join(FILE_TYPES[t] for t in definition.types),
            }
        )
    return upload, mime


def location_country(definitions: Sequence[FieldDef], values: Mapping[str, Any]) -> str | None:
    """The country of the form's first address field, as the submission writes it."""
    for definition in definitions:
        if definition.type == FieldType.ADDRESS:
            address = values.get(definition.key)
            if isinstance(address, dict) and isinstance(address.get("country"), str):
                country = address["country"].strip().upper()
                return country if country in phonenumbers.SUPPORTED_REGIONS else None
            return None
    return None


def clean_values(
    definitions: Sequence[FieldDef],
    values: Mapping[str, Any],
    files: Mapping[str, Any],
    *,
    today: date,
) -> tuple[Cleaned, Problems]:
    """The submission as stored, and every problem with it (by field)."""
    cleaned, problems = Cleaned(), Problems()
    known = {d.key: d for d in definitions}
    for key in values:
        if key not in known:
            problems[key] = _("%(key)s: this form has no such field") % {"key": key}
        elif known[key].is_file:
            problems.add(known[key], _("send the file as a part of the form"))
    for key in files:
        if key not in known or not known[key].is_file:
            problems[key] = _("%(key)s: this field does not take a file") % {"key": key}
    country = location_country(definitions, values)
    for definition in definitions:
        source = files if definition.is_file else values
        value = source.get(definition.key)
        if definition.key in problems:
            continue
        if _empty(value):
            if definition.required:
                problems.add(definition, _("this field is required"))
            continue
        try:
            if definition.type == FieldType.TEXT:
                cleaned.values[definition.key] = _clean_text(definition, value)
            elif definition.type == FieldType.NUMBER:
                cleaned.values[definition.key] = _clean_number(definition, value)
            elif definition.type == FieldType.CHOICE:
                cleaned.values[definition.key] = _clean_choice(definition, value)
            elif definition.type == FieldType.DATE:
                cleaned.values[definition.key] = _clean_date(definition, value, today)
            elif definition.type == FieldType.ADDRESS:
                cleaned.values[definition.key] = _clean_address(value)
            elif definition.type == FieldType.PHONE_NUMBERS:
                cleaned.values[definition.key] = _clean_numbers(value, country)
            elif definition.type == FieldType.SIGNATURE:
                cleaned.values[definition.key] = _clean_signature(value)
            else:
                cleaned.files[definition.key] = _clean_file(definition, value)
        except ValueError as error:
            problems.add(definition, str(error))
    return cleaned, problems
