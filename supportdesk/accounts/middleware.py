"""Show times in the viewer's time zone: their own choice, else their home zone (their
organization's or provider's: ``supportdesk.plans.zones`` knows it and activates the zone),
else their browser's, else UTC.

A time shown in a zone that is not the viewer's own (one they chose, or the one their browser
reports) says which zone it is in: ``shown_zone_is_own`` answers that for the templates."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

#: While a page or a mail is written for a person: (their own zone,), None when not known.
#: Outside (a command, an export) no time names its zone.
_viewer: ContextVar[tuple[ZoneInfo | None] | None] = ContextVar("viewer", default=None)


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def chosen_zone(user) -> ZoneInfo | None:
    """The zone a person picked; the stored "UTC" is the field's default, not a choice."""
    name = user.timezone if user is not None and user.is_authenticated else None
    return zone_or_none(name) if name and name != "UTC" else None


def browser_zone(request) -> ZoneInfo | None:
    """The zone the page's script reported ("Europe%2FWarsaw": the script encodes the slash)."""
    return zone_or_none(unquote(request.COOKIES.get(settings.TIMEZONE_COOKIE_NAME, "")))


def viewer_zone(request, home: ZoneInfo | None = None) -> ZoneInfo:
    """The zone a page is shown in."""
    user = getattr(request, "user", None)
    return chosen_zone(user) or home or browser_zone(request) or ZoneInfo("UTC")


def own_zone(request) -> ZoneInfo | None:
    """The zone the viewer lives in, as far as we know: their choice, else their browser's."""
    return chosen_zone(getattr(request, "user", None)) or browser_zone(request)


def shown_zone_is_own() -> bool:
    """Whether times in the active zone need no zone beside them for this viewer."""
    viewer = _viewer.get()
    if viewer is None:
        return True
    own = viewer[0]
    return own is not None and own.key == timezone.get_current_timezone_name()


@contextmanager
def showing(zone: ZoneInfo, own: ZoneInfo | None) -> Iterator[None]:
    """Times inside are shown in ``zone`` to a viewer whose own zone is ``own`` (None: not
    known, so every time names its zone)."""
    timezone.activate(zone)
    token = _viewer.set((own,))
    try:
        yield
    finally:
        _viewer.reset(token)
        timezone.deactivate()
