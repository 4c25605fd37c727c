"""What every visitor of the status page sees, served from memory for a few seconds.

A public status page is read most when something is down, by many people at once, none of them
signed in. Its answers to an anonymous reader depend only on the address, the language and the
time zone (``Vary: Cookie, Authorization, Accept-Language``), so this middleware, the outermost,
keeps each such answer that the view marked ``public`` for ``STATUS_PUBLIC_CACHE_SECONDS`` and
hands it back without the rest of the stack running. A signed-in reader (a session cookie) or a
token holder always gets their own view, fresh. A write through the status services empties
this process's copies at once; other worker processes catch up within the same few seconds.
"""

import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response

PREFIX = "/status/"
#: How many different answers (address × language × zone) a process keeps.
ENTRIES = 256

_kept: OrderedDict[tuple[str, ...], tuple[float, bytes, dict[str, str]]] = OrderedDict()


def forget() -> None:
    """Called when the status changes: this process serves nothing older than the change."""
    _kept.clear()


def _key(request: HttpRequest) -> tuple[str, ...] | None:
    if request.method not in ("GET", "HEAD") or not request.path.startswith(PREFIX):
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    cookies = request.META.get("HTTP_COOKIE", "")
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    return (
        request.get_full_path(),
        cookies,
        request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def _keepable(response: HttpResponse) -> bool:
    control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and "public" in control
        and not response.cookies
        and not response.streaming
    )


class PublicStatusCache:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _key(request) if settings.STATUS_PUBLIC_CACHE_SECONDS > 0 else None
        if key is None:
            return self.get_response(request)
        now = time.monotonic()
        found = _kept.get(key)
        if found is not None and found[0] > now:
            _kept.move_to_end(key)
            # A response of its own for each request: the server closes what it sends.
            response = HttpResponse(found[1], headers=found[2])
            conditional = get_conditional_response(
                request, etag=response.get("ETag"), response=response
            )
            if isinstance(conditional, HttpResponseNotModified):
                return conditional
            return response
        response = self.get_response(request)
        if _keepable(response):
            expires = now + settings.STATUS_PUBLIC_CACHE_SECONDS
            _kept[key] = (expires, response.content, dict(response.headers))
            while len(_kept) > ENTRIES:
                _kept.popitem(last=False)
        return response
