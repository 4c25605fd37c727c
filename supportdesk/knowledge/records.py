"""The kb.json format as a pydantic model: what ``kb_import`` accepts, and why it refuses.

Every problem names its record (index from 0 and id) and its JSON path (``[3].title``); a file
with any problem imports nothing.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ValidationInfo

from supportdesk.accounts.models import Brand
from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.plans.models import Plan

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_REFUSED = "kb"


@dataclass(frozen=True)
class Problem:
    index: int
    key: str
    message: str
    #: Where in the file, as a JSON path: ``[3].plans``.
    path: str = ""

    def __str__(self) -> str:
        text = _("record %(index)s (%(key)s): %(message)s") % {
            "index": self.index,
            "key": self.key or "?",
            "message": self.message,
        }
        return f"{self.path}: {text}" if self.path else text


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError(_REFUSED, "{message}", {"message": message})


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and bool(KEY_PATTERN.match(value))


def _key(message: Callable[[], str]) -> Any:
    def read(value: Any) -> str:
        if not _is_key(value):
            raise _refuse(message())
        return value

    return PlainValidator(read)


def _text(name: str, *, limit: int = 0, required: bool = False) -> Any:
    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise _refuse(_("%(f)s must be a string") % {"f": name})
        if required and not value.strip():
            raise _refuse(_("%(f)s is empty") % {"f": name})
        if limit and len(value) > limit:
            raise _refuse(_("%(f)s is longer than %(n)s characters") % {"f": name, "n": limit})
        return value

    return PlainValidator(read)


def _keys(name: str) -> Any:
    def read(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(_is_key(v) for v in value):
            raise _refuse(_("%(f)s must be a list of keys") % {"f": name})
        return value

    return PlainValidator(read)


def _choice(message: Callable[[], str], choices: Iterable[str]) -> Any:
    def read(value: Any) -> str:
        if value not in choices:
            raise _refuse(message() % {"v": ", ".join(choices)})
        return value

    return PlainValidator(read)


def _lang(value: Any) -> str:
    if not isinstance(value, str) or not LANG_PATTERN.match(value):
        raise _refuse(_("lang must be a code such as pl, pt or en"))
    return value


def _known(info: ValidationInfo, kind: str) -> set[str]:
    """The keys of ``kind`` the database holds, as the validation's context gives them."""
    return (info.context or {}).get(kind, set())


class ArticleRecord(BaseModel):
    """One article of kb.json; optional fields a record leaves out keep their current values.

    Validated with ``context={"plans": ..., "brands": ...}``, the keys the database holds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, _key(lambda: _("id must be 1-200 letters, digits, '.', '-' or '_'"))]
    lang: Annotated[str, PlainValidator(_lang)]
    title: Annotated[str, _text("title", limit=300, required=True)]
    body: Annotated[str, _text("body", required=True)]
    source: Annotated[str, _text("source", limit=300)] = ""
    group: Annotated[str | None, _key(lambda: _("group must be a key like id"))] = None
    categories: Annotated[list[str] | None, _keys("categories")] = None
    visibility: Annotated[
        str | None, _choice(lambda: _("visibility must be one of %(v)s"), Visibility.values)
    ] = None
    plans: Annotated[list[str] | None, _keys("plans")] = None
    status: Annotated[
        str | None, _choice(lambda: _("status must be one of %(v)s"), ArticleStatus.values)
    ] = None
    brand: str | None = None

    @field_validator("plans")
    @classmethod
    def _known_plans(cls, plans: list[str], info: ValidationInfo) -> list[str]:
        missing = set(plans) - _known(info, "plans")
        if missing:
            raise _refuse(_("unknown plans: %(p)s") % {"p": ", ".join(sorted(missing))})
        return plans

    @field_validator("brand", mode="plain")
    @classmethod
    def _known_brand(cls, brand: Any, info: ValidationInfo) -> str:
        if brand not in _known(info, "brands") | {""}:
            raise _refuse(_("unknown brand: %(b)s") % {"b": str(brand)[:100]})
        return brand

    @model_validator(mode="after")
    def _plans_for_plans(self) -> "ArticleRecord":
        if self.visibility == Visibility.PLANS and not self.plans:
            raise _refuse(_("visibility 'plans' needs a list of plans"))
        return self


def read_records(records: Any) -> tuple[list[ArticleRecord], list[Problem]]:
    """The records of a kb.json-style list, and every problem in it.

    Problems are by record index (from 0), id and JSON path; with any, the records are not
    to be imported.
    """
    if not isinstance(records, list):
        return [], [Problem(-1, "", _("the file must hold a JSON list of articles"))]
    context = {
        "plans": set(Plan.objects.values_list("slug", flat=True)),
        "brands": set(Brand.objects.values_list("slug", flat=True)),
    }
    valid: list[ArticleRecord] = []
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, record in enumerate(records):
        key = record.get("id") if isinstance(record, dict) else None
        key = key if isinstance(key, str) else ""
        try:
            valid.append(ArticleRecord.model_validate(record, context=context))
        except ValidationError as exc:
            problems.extend(_problems(exc, index, key))
        if _is_key(key):
            if key in first:
                message = _("id already used by record %(i)s") % {"i": first[key]}
                problems.append(Problem(index, key, message, f"[{index}].id"))
            else:
                first[key] = index
    return valid, problems


def validate_records(records: Any) -> list[Problem]:
    """Every problem in a kb.json-style list (see ``read_records``)."""
    return read_records(records)[1]


def _problems(error: ValidationError, index: int, key: str) -> list[Problem]:
    found, unknown = [], []
    for entry in error.errors(include_url=False):
        loc, kind = entry["loc"], entry["type"]
        path = f"[{index}]" + "".join(f".{part}" for part in loc)
        if kind == "extra_forbidden":
            unknown.append(str(loc[0]))
        elif kind == "missing":
            found.append(Problem(index, key, _("missing %(f)s") % {"f": loc[0]}, path))
        elif kind == "model_type":
            found.append(Problem(index, key, _("not a JSON object"), path))
        else:
            found.append(Problem(index, key, entry["ctx"]["message"], path))
    if unknown:
        message = _("unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        found.insert(0, Problem(index, key, message, f"[{index}]"))
    return found
