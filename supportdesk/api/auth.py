"""Who is calling: a personal token (scripts) or the browser's session (with CSRF).

A request that offers a token is judged by the token alone: a bad token is a 401 even when a
session cookie rides along, so a script never silently acts as whoever is signed in. Bad tokens
spend their client address's budget of failed sign-ins; once it is spent, every bad token from
there is a 429 until the lock lifts.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from supportdesk.accounts.access import is_agent
from supportdesk.accounts.models import User
from supportdesk.accounts.services import user_for_token
from supportdesk.accounts.throttle import token_failed
from supportdesk.api.errors import ApiError, ApiErrorCode


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; one indexed lookup of the token's SHA-256."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """A valid token is let through even while its address is locked: it is a 256-bit
        secret, so refusing it would stop no guessing, only the scripts that share the address;
        and a good token costs no query beyond its lookup."""
        user = user_for_token(token) if token and len(token) <= 200 else None
        if user is None and token_failed(request):
            raise throttled()
        return user


def throttled() -> ApiError:
    """429: the caller's address has spent its budget of failed sign-ins and tokens."""
    minutes = settings.SIGNIN_LOCKOUT_MINUTES
    detail = ngettext(
        "Too many failed sign-ins from your address. Try again in %(minutes)s minute.",
        "Too many failed sign-ins from your address. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}
    return ApiError(429, ApiErrorCode.THROTTLED, detail, retry_after=minutes * 60)


class SessionAuth(APIKeyCookie):
    """Django's session, CSRF-checked for unsafe methods like any form post."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        if "authorization" in request.headers:
            return None  # a token was offered; it alone decides
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise ApiError(
                403, ApiErrorCode.CSRF_FAILED, _("CSRF check failed: send the X-CSRFToken header.")
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return None  # unused: __call__ reads the session the middleware already loaded


token_auth = TokenAuth()
session_auth = SessionAuth()
#: Scripts first, then the browser.
ANY = [token_auth, session_auth]


def caller(request: HttpRequest) -> User:
    """The authenticated user; every operation except the documents requires one."""
    # ninja sets ``request.auth`` to what the authenticator returned; Django's stubs lack it.
    return request.auth  # type: ignore[attr-defined]


def via_token(request: HttpRequest) -> bool:
    """Whether the caller came with a token (a session never counts when a token is offered)."""
    return "authorization" in request.headers


def require_agent(user: User) -> None:
    if not is_agent(user):
        raise ApiError(403, ApiErrorCode.FORBIDDEN, _("Only agents can do this."))
