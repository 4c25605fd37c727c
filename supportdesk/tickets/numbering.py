"""Case numbers: every case gets its provider's prefix and the next number of its sequence
(``WP-1042``), whatever channel it came by, so customers and agents quote one style.

A number is taken inside the transaction that writes the case: one UPDATE of the sequence
row adds one, returns it, and holds the row until commit, so on PostgreSQL concurrent cases
queue on that row and never share a number; on SQLite the single writer does the same.
References brought in by a history import keep theirs, and the sequence moves past them.
"""

import re
import unicodedata

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from supportdesk.accounts.models import Brand
from supportdesk.tickets.models import Case, CaseSequence

_NUMBERED = re.compile(r"^([A-Z][A-Z0-9]*)-(\d{1,18})$")
_MAX_PREFIX = 6


def _ascii_letters(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isalnum())


def suggested_prefix(brand: Brand) -> str:
    """A prefix from the brand's name: its capitals (WebPlug: WP), else its words' initials,
    else its first letters."""
    name = unicodedata.normalize("NFKD", brand.name).encode("ascii", "ignore").decode()
    capitals = "".join(c for c in name if c.isupper())
    initials = "".join(word[0] for word in name.split() if word[:1].isalpha()).upper()
    for candidate in (capitals, initials):
        if len(candidate) >= 2:
            return candidate[:_MAX_PREFIX]
    letters = _ascii_letters(name or brand.slug).upper().lstrip("0123456789")
    return (letters or "CASE")[:4]


def _free(prefix: str) -> str:
    """``prefix``, or with a digit added when another provider already numbers with it."""
    taken = set(
        CaseSequence.objects.filter(prefix__startswith=prefix).values_list("prefix", flat=True)
    )
    if prefix not in taken:
        return prefix
    return next(f"{prefix}{n}" for n in range(2, 100) if f"{prefix}{n}" not in taken)


def _highest(prefix: str) -> int:
    """The highest number already given under ``prefix`` (imported cases), 0 for none."""
    numbers = [
        int(match[2])
        for reference in Case.objects.filter(reference__startswith=f"{prefix}-").values_list(
            "reference", flat=True
        )
        if (match := _NUMBERED.match(reference or "")) and match[1] == prefix
    ]
    return max(numbers, default=0)


def _lookup(brand_id: int | None) -> dict:
    """The brand's sequence; a desk without brands numbers under ``CASE_PREFIX``."""
    if brand_id is not None:
        return {"brand_id": brand_id}
    return {"brand__isnull": True, "prefix": settings.CASE_PREFIX}


def sequence_for(brand_id: int | None) -> CaseSequence:
    """The brand's sequence, made on first use with a prefix suggested by the brand's name
    and counting on from any imported references."""
    sequence = CaseSequence.objects.filter(**_lookup(brand_id)).first()
    if sequence is not None:
        return sequence
    if brand_id is None:
        prefix = settings.CASE_PREFIX
    else:
        prefix = _free(suggested_prefix(Brand.objects.get(pk=brand_id)))
    try:
        with transaction.atomic():
            return CaseSequence.objects.create(
                brand_id=brand_id, prefix=prefix, last=_highest(prefix)
            )
    except IntegrityError:  # made meanwhile by another case of the same provider
        return CaseSequence.objects.get(**_lookup(brand_id))


def _take(brand_id: int | None) -> tuple[str, int] | None:
    """Add one to the brand's sequence and read it, in one statement (UPDATE ... RETURNING,
    on PostgreSQL and SQLite alike); None when the brand has no sequence yet."""
    table = connection.ops.quote_name(CaseSequence._meta.db_table)
    params: list[int | str]
    if brand_id is not None:
        where, params = "brand_id = %s", [brand_id]
    else:
        where, params = "brand_id IS NULL AND prefix = %s", [settings.CASE_PREFIX]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last = last + 1 WHERE {where} RETURNING prefix, last", params
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else None


def next_reference(brand_id: int | None) -> str:
    """The next reference of the brand's sequence; call inside the transaction that saves the
    case, so the row stays locked until the case holds its number."""
    taken = _take(brand_id)
    if taken is None:
        sequence_for(brand_id)
        taken = _take(brand_id)
    assert taken is not None  # the sequence exists now
    prefix, last = taken
    return f"{prefix}-{last}"


def note_reference(reference: str) -> None:
    """A reference given from outside (an import): the sequence with its prefix moves past it,
    so the cases numbered next do not collide with it."""
    match = _NUMBERED.match(reference)
    if match is not None:
        CaseSequence.objects.filter(prefix=match[1], last__lt=int(match[2])).update(
            last=int(match[2])
        )


def set_prefix(sequence: CaseSequence, prefix: str) -> None:
    """Number under ``prefix`` from now on, after the highest number already carrying it."""
    sequence.prefix, sequence.last = prefix, _highest(prefix)
    sequence.full_clean()
    sequence.save(update_fields=["prefix", "last"])
