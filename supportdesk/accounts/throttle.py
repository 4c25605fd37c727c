"""A budget of failed sign-ins, kept by django-axes.

The sign-in forms (portal, agents, admin) count failures per address and per client address;
a personal token that fails counts against its client address, in the same budget. While a
budget is spent, even the right password is refused (a bad token: a 429); the lock lifts
``SIGNIN_LOCKOUT_MINUTES`` after the last failure, or when an administrator deletes the
attempt in the admin.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The browser's or script's address: the peer, or what the trusted proxies in front say."""
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = settings.PROXY_COUNT
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def signin_address(request: HttpRequest, credentials: dict | None) -> str | None:
    """The address typed into a sign-in form, as one budget whatever its case."""
    if not credentials:
        return None
    return (credentials.get("username") or "").strip().lower() or None


def lockout_parameters(request: HttpRequest, credentials: dict | None) -> list[str]:
    """A sign-in form is held back by its address's budget and its client's; a token (no
    credentials typed) by its client's alone."""
    return ["username", "ip_address"] if credentials else ["ip_address"]


def token_failed(request: HttpRequest) -> bool:
    """Count a token that matched nobody; True when the client's budget is spent."""
    AxesProxyHandler.user_login_failed(sender=token_failed, credentials=None, request=request)
    return bool(getattr(request, "axes_locked_out", False))
