"""Write transactions that queue for SQLite's single writer instead of spinning on it.

SQLite lets one transaction write at a time. A writer that finds the database locked sleeps in
growing steps (1, 2, 5 ... 100 ms) and can lose the race again and again: with eight clients a
3 ms insert turned into waits of up to a second. ``writing()`` queues writers on a lock file
beside the database (``flock`` wakes the next waiter the moment the lock is free), and the
threads of one process on a mutex before that, so latency stays near the service time.
Services do their reads first and hold the queue only for the transaction that writes.
PostgreSQL locks rows, not the database: there ``writing()`` is ``transaction.atomic()``.
"""

import fcntl
import os
import threading
from contextlib import ContextDecorator
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

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
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            _mutex.acquire()
            self._queued = True
            self._fd = _lock_file(str(connection.settings_dict["NAME"]))
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
