"""Billing's shortcuts for speed, in one place: instants read from the database as integer
epochs through the cursor, skipping Django's per-value datetime converters.

Why: the statement replays every finished entry of every month since the first pack; with
converters the replay of a busy organization's year cost more than the billing arithmetic
itself. ``bench/statement.py`` measures it against the peer (``make bench``). Domain code
calls ``epoch_rows`` by name; nothing else here is for general use.
"""

from collections.abc import Generator

from django.db import connection
from django.db.models import BigIntegerField, Func, QuerySet

from supportdesk.billing.models import TimeEntry
from supportdesk.billing.periods import epoch


class Epoch(Func):
    """Whole seconds since 1970 UTC, computed by the database: no datetime object per row."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC text; strftime reads it as UTC. ``%%%%`` survives two %-passes.
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


def epoch_rows(query: QuerySet[TimeEntry], fields: list[str]) -> Generator[tuple, None, None]:
    """Rows of ``fields`` with ``start`` and ``end`` (fields 1 and 2) as integer epochs, read in
    batches, so a replay that stops early leaves the rest in the database."""
    if connection.vendor not in ("sqlite", "postgresql"):  # let Django build the datetimes
        for row in query.values_list(*fields).iterator(chunk_size=2000):
            yield (row[0], epoch(row[1]), epoch(row[2]), *row[3:])
        return
    # The database turns instants into integers; reading the cursor directly skips Django's
    # per-value converters, which cost more than the billing itself.
    query = query.annotate(start_s=Epoch("start"), end_s=Epoch("end"))
    values = query.values_list(fields[0], "start_s", "end_s", *fields[3:])
    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            yield from batch
