"""Show times in the viewer's time zone: their own choice, else their browser's, else UTC."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def viewer_zone(request) -> ZoneInfo:
    """The zone a page is shown in; a user's stored "UTC" is the default, not a choice."""
    user = getattr(request, "user", None)
    chosen = user.timezone if user is not None and user.is_authenticated else None
    if chosen and chosen != "UTC":
        return zone_or_none(chosen) or ZoneInfo("UTC")
    browser = zone_or_none(request.COOKIES.get(settings.TIMEZONE_COOKIE_NAME))
    return browser or zone_or_none(chosen) or ZoneInfo("UTC")


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = viewer_zone(request)
        request.timezone = zone
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
