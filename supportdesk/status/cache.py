"""The status page served from memory: what every visitor sees for a few seconds, and what a
signed-in reader last saw for as long as nothing they may see has changed.

A public status page is read most when something is down, by many people at once. Its
answers to an anonymous reader depend only on the host, address, language and time zone
(``Vary: Cookie, Authorization, Accept-Language``), so this middleware, the outermost, keeps
each answer the view marked ``public`` for ``STATUS_PUBLIC_CACHE_SECONDS`` and hands it back
without the rest of the stack running. A write through the status services empties this
process's copies at once; other worker processes catch up within the same few seconds.

A signed-in reader's own view is kept per browser (its cookies) for no longer than that, with
the session it was drawn for and the revisions it was drawn at (``Revision``: every status
row and every row deciding who sees what raises one). It is handed back only while both read
the same: a sign-out, a changed password or role, another contract or any status change draws
the page again, in every process, at the next request. A token holder always gets a fresh
answer.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import cast

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.gzip import GZipMiddleware
from django.utils import timezone
from django.utils.cache import get_conditional_response

from supportdesk.status.page import revisions

PREFIX = "/status/"
#: How many different answers (address × language × zone) a process keeps for visitors.
ENTRIES = 256
#: How many signed-in readers' views (address × browser) a process keeps.
READER_ENTRIES = 512


@dataclass(frozen=True)
class Kept:
    expires: float
    body: bytes
    headers: dict[str, str]
    #: For a signed-in reader's view: the session and revision it was drawn for.
    session: object = None
    revision: tuple[tuple[int, int], ...] | None = None


_kept: OrderedDict[tuple[str, ...], Kept] = OrderedDict()
_readers: OrderedDict[tuple[str, ...], Kept] = OrderedDict()


def forget() -> None:
    """Called when the status changes: this process serves nothing older than the change."""
    _kept.clear()
    _readers.clear()


def _key(request: HttpRequest) -> tuple[str, ...]:
    meta = request.META
    return (
        meta.get("HTTP_HOST", ""),
        request.get_full_path(),
        meta.get("HTTP_COOKIE", ""),
        meta.get("HTTP_ACCEPT_LANGUAGE", ""),
        meta.get("HTTP_ACCEPT_ENCODING", ""),
        meta.get("HTTP_HX_REQUEST", ""),
    )


def _answer(request: HttpRequest, found: Kept) -> HttpResponse:
    # A response of its own for each request: the server closes what it sends.
    response = HttpResponse(found.body, headers=found.headers)
    conditional = get_conditional_response(request, etag=response.get("ETag"), response=response)
    if isinstance(conditional, HttpResponseNotModified):
        return conditional
    return response


def _keepable(response: HttpResponse, control: str, cookies: frozenset[str] = frozenset()) -> bool:
    return (
        response.status_code == 200
        and control in response.get("Cache-Control", "")
        and response.has_header("ETag")
        and set(response.cookies) <= cookies
        and not response.streaming
    )


def _renewed_only(request: HttpRequest, response: HttpResponse) -> frozenset[str]:
    """The cookies a kept view may set and still be kept: the CSRF cookie Django sends again
    with every page that has a form, only to push its expiry a year on (the kept copy is
    handed back without it; the next page drawn sends it again)."""
    name = settings.CSRF_COOKIE_NAME
    renewed = response.cookies.get(name)
    same = renewed is not None and renewed.value == request.COOKIES.get(name)
    return frozenset({name}) if same else frozenset()


def _session(request: HttpRequest) -> object:
    """What the session holds now, comparable with what it held when a view was kept; None
    once it has ended or expired. In the database (Django's default) that is the stored row's
    text, read by a statement written out here since it comes before every kept answer; any
    other session engine is asked to load it."""
    key = request.COOKIES[settings.SESSION_COOKIE_NAME]
    engine = import_module(settings.SESSION_ENGINE)
    if engine.__name__ != "django.contrib.sessions.backends.db":
        return engine.SessionStore(key).load() or None
    table = connection.ops.quote_name(Session._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
            [key, now],
        )
        row = cursor.fetchone()
    return row[0] if row else None


class StatusCache:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The page's 90 days of bars are a hundred kilobytes that compress twentyfold; kept
        # answers are compressed once, when drawn (Django's, with its BREACH padding).
        self.gzip = GZipMiddleware(get_response)

    def _drawn(self, request: HttpRequest) -> HttpResponse:
        # The response it was given, compressed where the browser accepts it.
        return cast(HttpResponse, self.gzip.process_response(request, self.get_response(request)))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or not request.path.startswith(PREFIX):
            return self.get_response(request)
        if settings.STATUS_PUBLIC_CACHE_SECONDS <= 0 or "HTTP_AUTHORIZATION" in request.META:
            return self._drawn(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self._signed_in(request)
        key = _key(request)
        found = _kept.get(key)
        if found is not None and found.expires > time.monotonic():
            _kept.move_to_end(key)
            return _answer(request, found)
        response = self._drawn(request)
        if _keepable(response, "public"):
            _keep(_kept, key, Kept(_expiry(), response.content, dict(response.headers)), ENTRIES)
        return response

    def _signed_in(self, request: HttpRequest) -> HttpResponse:
        # Both read before the page may be drawn: a view kept is never older than they say.
        session, revision = _session(request), revisions()
        key = _key(request)
        found = _readers.get(key)
        if (
            found is not None
            and found.expires > time.monotonic()
            and session
            and found.session == session
            and found.revision == revision
        ):
            _readers.move_to_end(key)
            return _answer(request, found)
        response = self._drawn(request)
        user = getattr(request, "user", None)
        if (
            _keepable(response, "private", _renewed_only(request, response))
            and user is not None
            and user.is_authenticated
            and session
        ):
            kept = Kept(_expiry(), response.content, dict(response.headers), session, revision)
            _keep(_readers, key, kept, READER_ENTRIES)
        return response


def _expiry() -> float:
    return time.monotonic() + settings.STATUS_PUBLIC_CACHE_SECONDS


def _keep(kept: OrderedDict[tuple[str, ...], Kept], key: tuple[str, ...], entry: Kept, size: int):
    kept[key] = entry
    while len(kept) > size:
        kept.popitem(last=False)
