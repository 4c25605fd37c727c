"""The carrier's side of the wire: request signatures, as every TwiML carrier signs them.

A request is the carrier's only if its ``X-Twilio-Signature`` is the HMAC-SHA1, keyed with the
account's token, of the URL it called (``PUBLIC_URL`` in front of the path when the desk sits
behind a proxy) followed by the sorted form fields. Twilio's own validator does the arithmetic.
"""

import hmac

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "HTTP_X_TWILIO_SIGNATURE"


def called_url(request: HttpRequest) -> str:
    """The URL as the carrier saw it."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + request.get_full_path()
    return request.build_absolute_uri()


def form_fields(request: HttpRequest) -> dict[str, str]:
    """The carrier's form fields; it never repeats a name, so the last value is the value."""
    return {key: request.POST[key] for key in request.POST}


def is_signed(request: HttpRequest, url: str, fields: dict[str, str]) -> bool:
    """Whether the request's signature covers ``url`` (``called_url``) and its form ``fields``
    (``form_fields``), which the view reads once and acts on: for the URL as called, or for it
    with the port added or dropped (Twilio signs either way). The URL as called is tried alone
    first: the validator always computes both of the others, and the carrier waits on every
    request."""
    signature = request.META.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    expected = validator.compute_signature(url, fields).encode()
    return hmac.compare_digest(expected, signature.encode()) or validator.validate(
        url, fields, signature
    )


def sign(url: str, fields: dict[str, str]) -> str:
    """The signature a carrier would send: for the simulator and the tests."""
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, fields)
