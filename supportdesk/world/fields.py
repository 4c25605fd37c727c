"""The values a world file is made of, as pydantic types, and their errors as ``Problem``s.

A world file is validated as pydantic models whose leaves are the YAML ``Node``s themselves:
each type below reads a node (so ``+351...`` stays text and ``NO`` stays ``NO``) and refuses a
bad one with the message a person reads. ``problems`` then maps every pydantic error's location
back to the node it came from, for the line and key path (``plans.x.targets[2].within``).
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from supportdesk.accounts.services import InvalidAddress, normalize_email, normalize_phone
from supportdesk.sla import Calendar
from supportdesk.world.source import Node, Problem, child_path, show

_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?")
_INTERVAL = re.compile(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_KERNEL_PREFIX = re.compile(r"^\w+\[[^\]]*\]: ")
#: The error type of every refusal written here; its context carries the message.
WORLD_ERROR = "world"


def fail(message: str, *at: str | int) -> PydanticCustomError:
    """A refusal with a person's message; ``at`` names the key below the validated value."""
    return PydanticCustomError(WORLD_ERROR, "{message}", {"message": message, "at": at})


def kernel_message(exc: Exception) -> str:
    """The calendar kernel's complaint without its internal prefix (``weekly[mon]: ...``)."""
    return _KERNEL_PREFIX.sub("", str(exc))


class Strict(BaseModel):
    """A mapping of the file: unknown keys are refused, and ``key:`` with no value is absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (key in cls.model_fields and isinstance(value, Node) and value.value is None)
            }
        return data


# ---------------------------------------------------------------------- scalars


def _scalar_text(node: Any) -> str | None:
    """A scalar as written; YAML's reading of ``12`` or ``NO`` does not count."""
    if not isinstance(node, Node) or not node.is_scalar:
        return None
    return node.value if isinstance(node.value, str) else node.raw


def text(node: Any) -> str:
    """A string; a scalar YAML would read as a number, date or boolean counts as written."""
    if not isinstance(node, Node) or not node.is_scalar:
        raise fail(_("expected text, got %(v)s") % {"v": show(node)})
    value = _scalar_text(node)
    if node.value is None or not value or not value.strip():
        raise fail(_("must not be empty"))
    return value.strip()


def _boolean(node: Any) -> bool:
    if not isinstance(node, Node) or not isinstance(node.value, bool):
        raise fail(_("%(v)s is not true or false") % {"v": show(node)})
    return node.value


def _positive_int(node: Any) -> int:
    value = node.value if isinstance(node, Node) else node
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail(_("%(v)s is not a whole number of 1 or more") % {"v": show(node)})
    return value


def _email(node: Any) -> str:
    value = text(node)
    try:
        validate_email(value)
        return normalize_email(value)
    except (DjangoValidationError, InvalidAddress):
        raise fail(_("%(v)s is not an email address") % {"v": show(value)}) from None


def e164(value: str) -> str:
    """A phone number written by a person, in E.164."""
    try:
        return normalize_phone(value)
    except InvalidAddress:
        raise fail(
            _("%(v)s is not a phone number in international form like +351210000247")
            % {"v": show(value)}
        ) from None


def _duration(node: Any) -> timedelta:
    value = node.value if isinstance(node, Node) and isinstance(node.value, str) else None
    raw = node.raw if isinstance(node, Node) else node
    match = _DURATION.fullmatch(value.strip()) if value else None
    if match is None or not (match[1] or match[2] or match[3]):
        raise fail(_("%(v)s is not a duration like 15m, 4h or 14d") % {"v": show(raw)})
    # A day is 24 hours of elapsed time: "14d" across a DST change is 336 h, not 14 wall days.
    days, hours, minutes = (int(part or 0) for part in match.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes)
    if not span:
        raise fail(_("%(v)s must be longer than zero") % {"v": show(raw)})
    return span


def _date_of(value: Any, raw: Any) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise fail(_("%(v)s is not a date like 2026-01-31") % {"v": show(raw)})
    return value


def _date(node: Any) -> date:
    if not isinstance(node, Node):
        raise fail(_("%(v)s is not a date like 2026-01-31") % {"v": show(node)})
    return _date_of(node.value, node.raw)


def _month(node: Any) -> date:
    """A month, ``2026-01``, as its first day."""
    value = node.value if isinstance(node, Node) else node
    if isinstance(value, date) and not isinstance(value, datetime) and value.day == 1:
        return value
    match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if match and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    raw = node.raw if isinstance(node, Node) else node
    raise fail(_("%(v)s is not a month like 2026-01") % {"v": show(raw)})


def _amount(node: Any, *, max_digits: int, places: int, positive: bool) -> Decimal:
    value = node.value if isinstance(node, Node) else node
    problem = _("%(v)s is not an amount like 45.00") % {"v": show(node)}
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fail(problem)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise fail(problem) from None
    if not amount.is_finite():
        raise fail(problem)
    if amount < 0:
        raise fail(_("%(v)s must not be negative") % {"v": show(node)})
    if positive and amount == 0:
        raise fail(_("%(v)s must be more than zero") % {"v": show(node)})
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise fail(_("%(v)s has more than %(n)s decimal places") % {"v": show(node), "n": places})
    if amount.quantize(Decimal(1).scaleb(-places)).adjusted() + 1 > max_digits - places:
        raise fail(_("%(v)s is too large") % {"v": show(node)})
    return amount


def amount(max_digits: int, *, places: int = 2, positive: bool = False) -> PlainValidator:
    """An amount of money or hours that fits a ``DecimalField(max_digits, places)``."""

    def read(node: Any) -> Decimal:
        return _amount(node, max_digits=max_digits, places=places, positive=positive)

    return PlainValidator(read)


Allowed = Iterable[str] | Callable[[], Iterable[str]]


def _allowed(choices: Allowed) -> list[str]:
    """``choices``; a callable is asked when the file is read (the desk's languages)."""
    return list(choices() if callable(choices) else choices)


def choice(choices: Allowed) -> PlainValidator:
    """One of ``choices``."""

    def read(node: Any) -> str:
        allowed = _allowed(choices)
        value = _scalar_text(node)
        if value not in allowed:
            raise fail(
                _("%(v)s is not one of %(choices)s")
                % {"v": show(value if value is not None else node), "choices": ", ".join(allowed)}
            )
        return value

    return PlainValidator(read)


def key_of(choices: Allowed) -> PlainValidator:
    """A key of a mapping whose keys are ``choices`` (weekdays, languages, priorities)."""

    def read(key: str) -> str:
        allowed = _allowed(choices)
        if key not in allowed:
            raise fail(unknown_key_message(key, allowed))
        return key

    return PlainValidator(read)


def ordered_as(choices: Allowed) -> AfterValidator:
    """A mapping keyed by ``choices``, in their order, however the file ordered it."""

    def order(value: dict[str, Any]) -> dict[str, Any]:
        return {key: value[key] for key in _allowed(choices) if key in value}

    return AfterValidator(order)


def _one_is_a_list(value: Any) -> Any:
    if isinstance(value, Node) and value.value is None:
        return []
    return value if isinstance(value, list) else [value]


def _a_mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        raise fail(_("expected a mapping (key: value), got %(v)s") % {"v": show(value)})
    return value


#: A list of choices, each named where it is wrong; a single value is a list of one.
ONE_OR_MANY = BeforeValidator(_one_is_a_list)
UNIQUE = AfterValidator(lambda values: list(dict.fromkeys(values)))
#: A mapping with keys of its own (``{P1: ..., P4: ...}``), not of named things.
MAPPING = BeforeValidator(_a_mapping)


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _texts(value: Any) -> Any:
    """``{pt: ..., en: ...}``; a single text is English."""
    return {"en": value} if isinstance(value, Node) and value.is_scalar else value


def _slug(key: str) -> str:
    if not _SLUG.fullmatch(key):
        raise fail(_('"%(v)s" is not a key: use letters, digits, "-" and "_" only') % {"v": key})
    return key


def _date_key(key: str) -> str:
    return _date_of(key, key).isoformat()


def _timezone(node: Any) -> str:
    name = text(node)
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        raise fail(_("%(v)s is not a time zone like Europe/Lisbon") % {"v": show(name)}) from None
    return name


def _country(node: Any) -> str:
    code = text(node).upper()
    if code not in holidays.list_supported_countries():
        raise fail(
            _("%(v)s is not a country code the holidays package knows, like PT or PL")
            % {"v": show(code)}
        )
    return code


def _currency(node: Any) -> str:
    code = text(node)
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise fail(_("%(v)s is not a currency code like EUR") % {"v": show(code)})
    return code


def _hhmm(value: str) -> str:
    hours, minutes = value.split(":")
    return f"{int(hours):02d}:{minutes}"


def _interval(node: Any) -> str:
    value = node.value if isinstance(node, Node) and isinstance(node.value, str) else None
    match = _INTERVAL.fullmatch(value.replace(" ", "")) if value else None
    if match is None:
        raw = node.raw if isinstance(node, Node) else node
        raise fail(_("%(v)s is not an interval like 09:00-13:00") % {"v": show(raw)})
    return f"{_hhmm(match[1])}-{_hhmm(match[2])}"


def span_pairs(spans: list[str]) -> list[tuple[str, str]]:
    return [(start, end) for start, end in (span.split("-") for span in spans)]


def _opening_hours(spans: list[str]) -> list[str]:
    """A day's opening hours, checked by the kernel itself (overlaps, order)."""
    try:
        Calendar("UTC", {"mon": span_pairs(spans)})
    except ValueError as exc:
        raise fail(kernel_message(exc)) from None
    return spans


Text = Annotated[str, PlainValidator(text)]
Bool = Annotated[bool, PlainValidator(_boolean)]
PositiveInt = Annotated[int, PlainValidator(_positive_int)]
Email = Annotated[str, PlainValidator(_email)]
Phone = Annotated[str, PlainValidator(lambda node: e164(text(node)))]
Duration = Annotated[timedelta, PlainValidator(_duration)]
Date = Annotated[date, PlainValidator(_date)]
Month = Annotated[date, PlainValidator(_month)]
TimeZone = Annotated[str, PlainValidator(_timezone)]
Country = Annotated[str, PlainValidator(_country)]
Currency = Annotated[str, PlainValidator(_currency)]
Interval = Annotated[str, PlainValidator(_interval)]
Intervals = Annotated[list[Interval], AfterValidator(_opening_hours)]
#: Keys of mappings: the names of things, days, languages.
SlugKey = Annotated[str, PlainValidator(_slug)]
DateKey = Annotated[str, PlainValidator(_date_key)]
LanguageKey = Annotated[str, key_of(languages)]
Texts = Annotated[dict[LanguageKey, Text], BeforeValidator(_texts)]
#: A team's key, as agents list them.
TeamKey = Annotated[str, PlainValidator(lambda node: _slug(text(node)))]


# ---------------------------------------------------------------------- errors


def at(root: Node, loc: Iterable[str | int]) -> Node:
    """The node a location points at, or the nearest one above it the file has."""
    node = root
    for part in loc:
        in_list = node.is_sequence and isinstance(part, int) and 0 <= part < len(node.value)
        if not (in_list or (node.is_mapping and part in node.value)):
            break
        node = node.value[part]
    return node


def unknown_key_message(key: str, allowed: list[str]) -> str:
    close = get_close_matches(key, allowed, n=1)
    if close:
        return _('unknown key "%(key)s"; did you mean "%(close)s"?') % {
            "key": key,
            "close": close[0],
        }
    return _('unknown key "%(key)s" (expected one of: %(keys)s)') % {
        "key": key,
        "keys": ", ".join(allowed),
    }


def _bare(kind: Any) -> Any:
    """A type without ``Annotated`` and ``| None`` around it."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (Union, UnionType):
            kind = next(arg for arg in get_args(kind) if arg is not type(None))
        else:
            return kind


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel]:
    """The model that validated the mapping at ``loc`` (for the keys it allows)."""
    kind: Any = model
    for part in loc:
        kind = _bare(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            kind = kind.model_fields[part].annotation
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        elif get_origin(kind) is list:
            kind = get_args(kind)[0]
    return _bare(kind)


def problems(error: PydanticValidationError, root: Node, model: type[BaseModel]) -> list[Problem]:
    """Each of pydantic's errors as a ``Problem`` at the line and key path it is about."""
    found = []
    for entry in error.errors(include_url=False):
        loc, kind, ctx = entry["loc"], entry["type"], entry.get("ctx") or {}
        if loc and loc[-1] == "[key]":  # a mapping's key: the line the key is written on
            node = at(root, loc[:-1])
            found.append(Problem(node.key_line, node.path, ctx["message"]))
        elif kind == "missing":
            parent = at(root, loc[:-1])
            path = child_path(parent.path, str(loc[-1]))
            found.append(Problem(parent.line, path, _("this key is required")))
        elif kind == "extra_forbidden":
            node = at(root, loc)
            fields = _model_at(model, loc[:-1]).model_fields
            allowed = [field.alias or name for name, field in fields.items()]
            found.append(
                Problem(node.key_line, node.path, unknown_key_message(str(loc[-1]), allowed))
            )
        else:
            node = at(root, (*loc, *ctx.get("at", ())))
            found.append(Problem(node.line, node.path, _message(kind, ctx, entry["msg"], node)))
    return found


def _message(kind: str, ctx: dict, pydantic_message: str, node: Node) -> str:
    if kind == WORLD_ERROR:
        return ctx["message"]
    if kind == "model_type":
        return _("expected a mapping (key: value), got %(v)s") % {"v": show(node)}
    if kind == "dict_type":
        return _("expected a mapping of names to definitions")
    if kind == "list_type":
        return _("expected a list, got %(v)s") % {"v": show(node)}
    return pydantic_message  # the types above refuse what they do not know first


def data(node: Node) -> Any:
    """The document as pydantic reads it: dicts and lists, with the scalar ``Node``s as leaves."""
    if node.is_mapping:
        return {key: data(child) for key, child in node.value.items()}
    if node.is_sequence:
        return [data(child) for child in node.value]
    return node
