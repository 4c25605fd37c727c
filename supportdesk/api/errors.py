"""One error shape for every refusal, ``{"code", "detail", "field"}``, so clients branch on codes.

Service refusals (:class:`~supportdesk.tickets.errors.CaseError`) keep their stable codes; the
API adds its own for what only the API can refuse (authentication, visibility, validation).
"""

from enum import StrEnum
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from supportdesk.tickets.errors import CaseError, CaseErrorCode


class ApiErrorCode(StrEnum):
    UNAUTHENTICATED = "unauthenticated"
    THROTTLED = "throttled"
    CSRF_FAILED = "csrf_failed"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    MALFORMED = "malformed"


class Error(Schema):
    code: str
    detail: str
    field: str | None = None


class Refusal(Error):
    """A 403. With code ``not_entitled``, ``entitlement`` names what the caller's role lacks
    under their organization's plan (e.g. ``ticket_l1``)."""

    entitlement: str | None = None


class FieldError(Schema):
    field: str
    detail: str


class ValidationErrorOut(Error):
    errors: list[FieldError]


class ApiError(Exception):
    """A refusal decided in the API layer (permission, unknown reference in a body)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        field: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field
        self.retry_after = retry_after


def forbidden(detail: str | None = None, field: str | None = None) -> ApiError:
    return ApiError(403, ApiErrorCode.FORBIDDEN, detail or _("You may not do this."), field)


def unknown(field: str, detail: str) -> ApiError:
    """A body that names something that does not exist (an organization, team, agent): 404."""
    return ApiError(404, ApiErrorCode.NOT_FOUND, detail, field)


class FieldInvalid(Exception):
    """A value of the right type that still cannot be used (an address that is not one)."""

    def __init__(self, field: str, detail: str):
        super().__init__(detail)
        self.field, self.detail = field, detail


#: Status of each service refusal: a closed case is a conflict with its state, the rest bad input.
CASE_ERROR_STATUS = {
    CaseErrorCode.INVALID: 400,
    CaseErrorCode.UNKNOWN_ADDRESS: 400,
    CaseErrorCode.CLOSED: 409,
    CaseErrorCode.NOT_AN_AGENT: 403,
    CaseErrorCode.NOT_ENTITLED: 403,
}

#: Which statuses each kind of operation can answer with besides success; declared in OpenAPI.
#: 429: too many failed tokens from the caller's address (``Retry-After`` says for how long).
AUTHENTICATED: dict[int, Any] = {401: Error, 429: Error}
READ: dict[int, Any] = {**AUTHENTICATED, 422: ValidationErrorOut}
READ_ONE: dict[int, Any] = {**READ, 404: Error}
WRITE: dict[int, Any] = {**READ, 400: Error, 403: Error}
WRITE_ONE: dict[int, Any] = {**WRITE, 404: Error}
#: Opening a case: a customer may also be refused by their plan's entitlement matrix.
OPEN: dict[int, Any] = {**WRITE_ONE, 403: Refusal}


def _field(loc: tuple[Any, ...]) -> str:
    """('body', 'payload', 'subject') -> 'subject'; ('query', 'limit') -> 'limit'."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        source, parts = parts[0], parts[1:]
        if source == "body" and parts and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts) or "body"


def _body(code: str, detail: str, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "field": field}


def install(api: NinjaAPI) -> None:
    """Replace ninja's default handlers so every 4xx has the documented shape."""

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = api.create_response(
            request, _body(exc.code, exc.detail, exc.field), status=exc.status
        )
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(CaseError)
    def on_case_error(request: HttpRequest, exc: CaseError) -> HttpResponse:
        status = CASE_ERROR_STATUS.get(exc.code, 400)
        if exc.code == CaseErrorCode.NOT_AN_AGENT and exc.field:
            status = 400  # the named person is not an agent: bad input, not a permission
        body = _body(exc.code, exc.message, exc.field)
        if exc.entitlement is not None:
            body["entitlement"] = exc.entitlement
        return api.create_response(request, body, status=status)

    @api.exception_handler(FieldInvalid)
    def on_field_invalid(request: HttpRequest, exc: FieldInvalid) -> HttpResponse:
        body = _body(ApiErrorCode.INVALID, exc.detail, exc.field)
        body["errors"] = [{"field": exc.field, "detail": exc.detail}]
        return api.create_response(request, body, status=422)

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "detail": e["msg"]} for e in exc.errors
        ]
        first = errors[0] if errors else {"field": None, "detail": _("Invalid request.")}
        body = _body(ApiErrorCode.INVALID, f"{first['field']}: {first['detail']}", first["field"])
        body["errors"] = errors
        return api.create_response(request, body, status=422)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(
            request, _body(ApiErrorCode.NOT_FOUND, _("Not found.")), status=404
        )

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = _("Sign in, or send a personal token as 'Authorization: Bearer <token>'.")
        response = api.create_response(
            request, _body(ApiErrorCode.UNAUTHENTICATED, detail), status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="supportdesk"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: ApiErrorCode.MALFORMED, 403: ApiErrorCode.FORBIDDEN}.get(
            exc.status_code, ApiErrorCode.INVALID
        )
        return api.create_response(request, _body(code, str(exc)), status=exc.status_code)
