"""One shape for every list the API answers: a page of rows, counted in the database."""

from collections.abc import Callable
from typing import Any, Protocol

from django.db.models import QuerySet


class PageParams(Protocol):
    limit: int
    offset: int


def paged(rows: QuerySet, page: PageParams, serialize: Callable[[Any], dict]) -> dict:
    """``{count, limit, offset, items}`` for an ordered queryset, sliced in the database."""
    return {
        "count": rows.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [serialize(row) for row in rows[page.offset : page.offset + page.limit]],
    }
