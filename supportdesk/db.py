"""Write transactions that queue for SQLite's single writer instead of spinning on it.

SQLite lets one transaction write at a time. A writer that finds the database locked sleeps in
growing steps (1, 2, 5 ... 100 ms) and can lose the race again and again: with eight clients a
3 ms insert turned into waits of up to a second. ``writing()`` queues writers on a lock file
beside the database (``flock`` wakes the next waiter the moment the lock is free), and the
threads of one process on a mutex before that, so latency stays near the service time.
Services do their reads first and hold the queue only for the transaction that writes.
PostgreSQL locks rows, not the database: there ``writing()`` is ``transaction.atomic()``.

And rows by key (``fetch_row``, ``insert_rows``, ``save_fields``): the few statements a phone
call's steps wait on, with the SQL Django writes for them compiled once per process. Reads load
what the ORM loads (``related`` joins as ``select_related`` does); writes skip the save
signals, so they serve only models nothing listens to (the call, the case and its rows).
"""

import fcntl
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import ContextDecorator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

_mutex = threading.RLock()
_lock_files: dict[str, int] = {}


def _lock_file(database: str) -> int | None:
    """The descriptor of ``<database>.write-lock``; None for in-memory databases (tests)."""
    if not database or "memory" in database or database.startswith("file:"):
        return None
    fd = _lock_files.get(database)
    if fd is None:
        fd = os.open(f"{database}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
        _lock_files[database] = fd
    return fd


class writing(ContextDecorator):
    """A write transaction; on SQLite, first a place in the writers' queue.

    Inside an outer transaction it is a savepoint and takes no place of its own: the outer
    one already holds the database.
    """

    def __init__(self) -> None:
        self._fd: int | None = None
        self._queued = False
        self._atomic = transaction.atomic()

    def _recreate_cm(self) -> "writing":
        return writing()  # a fresh one per decorated call: state lives on the instance

    def __enter__(self) -> None:
        db = _db()
        if db.vendor == "sqlite" and not db.in_atomic_block:
            _mutex.acquire()
            self._queued = True
            self._fd = _lock_file(str(db.settings_dict["NAME"]))
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._atomic.__enter__()
        except BaseException:
            self._release()
            raise

    def __exit__(self, *exc) -> None:
        try:
            self._atomic.__exit__(*exc)
        finally:
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._fd = None
        if self._queued:
            self._queued = False
            _mutex.release()


def claim_for_sending(item: Any, now: datetime, lease: timedelta) -> bool:
    """Take a queued row (``status`` pending, ``next_attempt_at``, ``attempts``) for this
    sender until the lease ends: a conditional UPDATE that only one sender can win, which
    counts the attempt. A sender that dies mid-send leaves the row due again when the lease
    ends. Returns False when another sender has it."""
    lease_end = now + lease
    with writing():
        taken = (
            type(item)
            .objects.filter(
                pk=item.pk,
                status="pending",
                next_attempt_at=item.next_attempt_at,
                attempts=item.attempts,
            )
            .update(next_attempt_at=lease_end, attempts=item.attempts + 1)
        )
    if taken:
        item.next_attempt_at, item.attempts = lease_end, item.attempts + 1
    return bool(taken)


# ------------------------------------------------------------------------- rows by key

#: SQL Django compiled once, per (what, model, fields, vendor): compiling a queryset costs six
#: times what SQLite takes to run it, which on a path a caller waits on is most of the wait.
_statements: dict[tuple[object, ...], tuple[str, Any]] = {}

M = TypeVar("M", bound=Model)


def _columns(fields: Iterable[Field]) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _field(model: type[Model], name: str) -> Field:
    """A concrete field by name or attribute name (``case`` or ``case_id``), or ``pk``."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, Field), f"{model.__name__}.{name} is not a column"
    return field


#: Per (model, vendor): each column's converters, as the ORM loads it (SQLite's text into
#: datetimes, JSON...).
_loaders: dict[tuple[object, ...], list[tuple[int, Any, list[Any]]]] = {}


def _db() -> BaseDatabaseWrapper:
    """The connection itself rather than ``django.db.connection``, its proxy, which looks it up
    again on every attribute: what a row's columns pass around, they pass by the hundred."""
    return connections[DEFAULT_DB_ALIAS]


def _converted(
    db: BaseDatabaseWrapper, model: type[Model], fields: tuple[Field, ...], row: Sequence[Any]
) -> list[Any]:
    key = (model, db.vendor)
    if key not in _loaders:
        columns = [(i, field.get_col(model._meta.db_table)) for i, field in enumerate(fields)]
        _loaders[key] = [
            (i, col, converters)
            for i, col in columns
            if (converters := db.ops.get_db_converters(col) + col.get_db_converters(db))
        ]
    values = list(row)
    for i, col, converters in _loaders[key]:
        for convert in converters:
            values[i] = convert(values[i], col, db)
    return values


S = TypeVar("S")


def _statement(
    db: BaseDatabaseWrapper, key: tuple[object, ...], build: Callable[[], tuple[str, S]]
) -> tuple[str, S]:
    key = (*key, db.vendor)
    if key not in _statements:
        _statements[key] = build()
    return _statements[key]


@dataclass(frozen=True)
class _Table:
    """One model's columns in a SELECT, and how its row hangs from an earlier table's."""

    model: type[Model]
    fields: tuple[Field, ...]
    parent: int = -1  # the table whose foreign key reaches this one (-1: the rows asked for)
    via: Field | None = None

    @cached_property
    def pk_at(self) -> int:
        return self.fields.index(self.model._meta.pk)


def _select(
    model: type[M],
    key: dict[str, object],
    *,
    lock: bool = False,
    order_by: Sequence[str] = (),
    related: Sequence[str] = (),
) -> list[M]:
    """The rows whose fields equal ``key``, every concrete field loaded, in the order of
    ``order_by`` (``-`` for descending) and then the primary key; with the rows their foreign
    keys in ``related`` reach (``plan``, ``plan__calendar``), joined as ``select_related``
    joins them."""
    assert not (lock and related), "locking joined rows locks more than the row asked for"
    names, ordering, paths = tuple(key), tuple(order_by), tuple(related)

    def build() -> tuple[str, tuple[_Table, ...]]:
        quote = connection.ops.quote_name
        tables = [_Table(model, tuple(model._meta.concrete_fields))]
        joins = []
        for path in paths:
            *up, name = path.split("__")
            parent = 1 + paths.index("__".join(up)) if up else 0
            via = _field(tables[parent].model, name)
            target = via.related_model
            assert isinstance(target, type) and issubclass(target, Model), path
            tables.append(_Table(target, tuple(target._meta.concrete_fields), parent, via))
            joins.append(
                f"LEFT OUTER JOIN {quote(target._meta.db_table)} T{len(tables) - 1} "
                f"ON T{len(tables) - 1}.{quote(target._meta.pk.column)} = "
                f"T{parent}.{quote(via.column)}"
            )

        def column(name: str) -> str:
            return f"T0.{quote(_field(model, name).column)}"

        columns = ", ".join(
            f"T{i}.{quote(f.column)}" for i, table in enumerate(tables) for f in table.fields
        )
        where = " AND ".join(f"{column(name)} = %s" for name in names)
        sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} T0 {' '.join(joins)}"
        sql += f" WHERE {where}"
        if ordering:
            terms = [column(t.lstrip("-")) + (" DESC" if t[0] == "-" else "") for t in ordering]
            if not {"pk", "-pk", model._meta.pk.name, f"-{model._meta.pk.name}"} & set(ordering):
                terms.append(column("pk"))
            sql += f" ORDER BY {', '.join(terms)}"
        if lock and connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        return sql, tuple(tables)

    db = _db()
    sql, tables = _statement(db, ("select", model, names, lock, ordering, paths), build)
    params = [_field(model, name).get_db_prep_value(key[name], db) for name in names]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        objs: list[Model | None] = []
        start = 0
        for table in tables:
            values = row[start : start + len(table.fields)]
            start += len(table.fields)
            obj = None
            if table.parent < 0 or values[table.pk_at] is not None:  # None: a null key
                obj = table.model.from_db(
                    db.alias,
                    [f.attname for f in table.fields],
                    _converted(db, table.model, table.fields, values),
                )
            if table.via is not None and objs[table.parent] is not None:
                table.via.set_cached_value(objs[table.parent], obj)  # type: ignore[attr-defined]
            objs.append(obj)
        found.append(objs[0])
    return found  # type: ignore[return-value]


def fetch_row(
    model: type[M], *, lock: bool = False, related: Sequence[str] = (), **key: object
) -> M | None:
    """The row whose unique ``key`` is given, every concrete field loaded, with the rows its
    foreign keys in ``related`` reach; locked until the transaction ends where the database
    locks rows (``select_for_update``)."""
    return next(iter(_select(model, key, lock=lock, related=related)), None)


def fetch_rows(
    model: type[M], order_by: str | Sequence[str], *, related: Sequence[str] = (), **key: object
) -> list[M]:
    """The rows whose ``key`` fields are given, every concrete field loaded, in the order of
    ``order_by`` (a field, or several; ``-`` for descending), then of the primary key; with
    the rows their foreign keys in ``related`` reach."""
    order = (order_by,) if isinstance(order_by, str) else order_by
    return _select(model, key, order_by=order, related=related)


def insert_row(obj: Model) -> None:
    """``obj.save(force_insert=True)`` for a model no signal listens to, with its SQL compiled
    once; sets the new primary key."""
    insert_rows([obj])


def insert_rows(objs: Sequence[Model]) -> None:
    """``bulk_create(objs)`` of one model no signal listens to, in one statement compiled once
    per model and count; sets the primary keys (returned in the order given, as Django's own
    bulk insert relies on)."""
    if not objs:
        return
    model = type(objs[0])

    def build() -> tuple[str, tuple[Field, ...]]:
        meta = model._meta
        fields = tuple(f for f in meta.concrete_fields if f is not meta.auto_field)
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({_columns(fields)}) "
            f"VALUES {', '.join([row] * len(objs))} RETURNING {_columns([meta.pk])}"
        )
        return sql, fields

    db = _db()
    sql, fields = _statement(db, ("insert", model, len(objs)), build)
    params = []
    for obj in objs:
        # A parent saved since it was assigned: its new key into the column, as save() does.
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        params += [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, db.alias


def save_fields(obj: Model, *names: str) -> None:
    """``obj.save(update_fields=names)`` for a model no signal listens to, with its SQL
    compiled once."""
    model = type(obj)
    columns = [_field(model, name).attname for name in names]
    update_row(model, obj.pk, **{column: getattr(obj, column) for column in columns})


def update_row(model: type[Model], pk: object, **values: object) -> int:
    """``model.objects.filter(pk=pk).update(**values)`` with its SQL compiled once; attribute
    names (``case_id``) or field names. Returns how many rows changed (0 or 1)."""
    names = tuple(sorted(values))

    def build() -> tuple[str, tuple[Field, ...]]:
        meta = model._meta
        fields = tuple(_field(model, name) for name in names)
        sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
        sql = (
            f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {sets} "
            f"WHERE {_columns([meta.pk])} = %s"
        )
        return sql, fields

    db = _db()
    sql, fields = _statement(db, ("update", model, names), build)
    params = [f.get_db_prep_save(values[n], db) for f, n in zip(fields, names, strict=True)]
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, model._meta.pk.get_db_prep_value(pk, db)])
        return cursor.rowcount
