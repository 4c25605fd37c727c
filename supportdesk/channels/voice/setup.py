"""The phone's set-up as each web process keeps it: numbers, menus' options, agents' lines.

Every step of a call reads some of it (the number called, its hours and menu, the lines a
key rings) while the caller hears silence, and it changes when someone edits the world file or
the admin, not between calls. A process keeps what it has read for as long as the set-up's
revision stands: every saved set-up row replaces the revision in its own transaction
(``apps.py``), and a step reads it once, in one short statement.
"""

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

from supportdesk.channels.voice.models import SetupRevision

T = TypeVar("T")

#: What this process has read of the set-up, and the revision it stands for.
_kept: dict[tuple[object, ...], object] = {}
_kept_at: list[int | None] = [None]
#: Callers key what they like (extensions, PINs that miss): what is kept stays bounded.
MOST_KEPT = 4096


def revision() -> int:
    """The set-up's revision as committed now (0 before anything was saved)."""
    table = connection.ops.quote_name(SetupRevision._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def kept(key: tuple[object, ...], read: Callable[[], T], at: int) -> T:
    """``read()``, once per process and revision ``at`` (the revision its step read)."""
    if _kept_at[0] != at or len(_kept) >= MOST_KEPT:
        _kept.clear()
        _kept_at[0] = at
    if key not in _kept:
        _kept[key] = read()
    return _kept[key]  # type: ignore[return-value]


def changed(**kwargs: object) -> None:
    """A set-up row was saved or deleted: a new revision, in the same transaction."""
    number = secrets.randbits(62) + 1
    if not SetupRevision.objects.filter(pk=1).update(number=number):
        SetupRevision.objects.get_or_create(pk=1, defaults={"number": number})
