"""Service requests over HTTP: the forms a caller may submit, and submitting one (a case with
its fields, files and promised dates). Thin: every check is ``service_requests.services``'."""

import json
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Form, Router, Schema
from ninja.responses import Status as HttpStatus

from supportdesk.accounts.throttle import client_address
from supportdesk.api import errors
from supportdesk.api.auth import caller, via_token
from supportdesk.api.errors import ApiError, ApiErrorCode, unknown
from supportdesk.api.schemas import SLUG, Slug
from supportdesk.service_requests import services
from supportdesk.service_requests.choices import RequestErrorCode
from supportdesk.service_requests.definitions import FieldDef, in_language
from supportdesk.service_requests.models import RequestType
from supportdesk.tickets.choices import Channel

router = Router(tags=["requests"])


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    key: str
    type: str = Field(
        description="text, number, choice, date, phone_numbers, address, file, signature"
    )
    required: bool
    label: str = Field(description="In the caller's language.")
    help: str
    choices: list[ChoiceOut] | None = None
    types: list[str] | None = Field(None, description="A file field: the types it takes.")
    max_mb: int | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    future: bool | None = Field(None, description="A date field: not before today.")


class RequestTypeOut(Schema):
    slug: str
    name: str
    description: str
    who: str = Field(description="any, admins or owner")
    fields: list[FieldOut]
    targets: dict[str, list[int]] = Field(
        description="Business days by milestone (confirmation, completion): [from, to]."
    )


class DateRange(Schema):
    first: date = Field(alias="from")
    last: date = Field(alias="to")


class RequestOut(Schema):
    id: int = Field(description="The request's case id (GET /api/cases/{id}).")
    reference: str
    promised: dict[str, DateRange] = Field(
        description="Local dates on the organization's calendar, by milestone."
    )


def _field(definition: FieldDef) -> dict[str, Any]:
    out = definition.as_json()
    out["label"], out["help"] = definition.label_text, definition.help_text
    if "choices" in out:
        out["choices"] = [
            {"value": c.value, "label": in_language(c.label) or c.value} for c in definition.choices
        ]
    return out


def _type(request_type: RequestType) -> dict[str, Any]:
    return {
        "slug": request_type.slug,
        "name": request_type.name,
        "description": request_type.description,
        "who": request_type.who,
        "fields": [_field(d) for d in request_type.definitions()],
        "targets": {m: list(days) for m, days in request_type.milestones().items()},
    }


@router.get("/request-types", response={200: list[RequestTypeOut], **errors.AUTHENTICATED})
def list_request_types(request: HttpRequest) -> list[dict]:
    """The request types the caller may submit, with their forms; for an agent, every type
    their provider offers."""
    user = caller(request)
    contact = user.contact_or_none
    if contact is None:
        return [_type(t) for t in RequestType.objects.visible_to(user)]
    return [_type(t) for t in services.submittable(contact)]


#: The body as multipart, with the file parts that each request type names.
MULTIPART = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "type": {
                            "type": "string",
                            "pattern": SLUG,
                            "minLength": 1,
                            "maxLength": 100,
                        },
                        "fields": {
                            "type": "string",
                            "default": "{}",
                            "description": "A JSON object of the non-file fields.",
                        },
                    },
                    "required": ["type"],
                    "additionalProperties": {"type": "string", "format": "binary"},
                }
            }
        }
    }
}


@router.post(
    "/requests",
    response={201: RequestOut, **errors.WRITE, 404: errors.Error},
    by_alias=True,
    openapi_extra=MULTIPART,
)
def submit_request(
    request: HttpRequest,
    response: HttpResponse,
    type: Form[Slug],
    fields: Form[str] = "{}",
) -> HttpStatus[dict]:
    """Submit a request: a case with its fields, files and promised dates.

    Multipart: ``type`` is the request type's key, ``fields`` a JSON object of the non-file
    fields (a signature is ``{"name", "consent"}``), and one file part per file field, named by
    its key. 403 for a role the type does not allow (or a signature by someone who is not the
    owner); 422 naming the field for a bad value or file."""
    user = caller(request)
    request_type = RequestType.objects.visible_to(user).filter(slug=type).first()
    if request_type is None:
        raise unknown("type", _("No request type has this key."))
    try:
        values = json.loads(fields)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise errors.FieldInvalid("fields", _("fields: expected a JSON object of field values."))
    try:
        submitted = services.submit_request(
            request_type,
            contact=user.contact_or_none,
            values=values,
            files={key: request.FILES[key] for key in request.FILES},
            channel=Channel.API if via_token(request) else Channel.WEB,
            actor=user,
            address=client_address(request),
        )
    except services.RequestError as error:
        if error.code == RequestErrorCode.NOT_ALLOWED:
            raise ApiError(403, error.code, error.message, error.field) from None
        body = {
            "code": ApiErrorCode.INVALID,
            "detail": error.message,
            "field": error.field,
            "errors": [{"field": k, "detail": v} for k, v in error.problems.items()]
            or [{"field": error.field or "fields", "detail": error.message}],
        }
        return HttpStatus(422, body)
    case = submitted.case
    response["Location"] = f"/api/cases/{case.pk}"
    return HttpStatus(201, {"id": case.pk, "reference": case.label, "promised": submitted.promised})
