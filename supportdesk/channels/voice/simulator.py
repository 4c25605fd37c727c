"""The phone simulator: an agent plays a caller, and the desk hears a carrier.

Each step the page asks for is posted to the desk's own webhook exactly as a carrier posts it
(the same URL, form fields and ``X-Twilio-Signature``), in this process and through the URL
resolver, so the call takes the very path a real one takes. The desk chooses each call's
``CallSid`` and remembers, in the agent's session, the calls that agent started: the simulator
drives those calls only, never a real caller's.
"""

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportdesk.accounts.services import InvalidAddress, normalize_phone
from supportdesk.channels.voice import carrier
from supportdesk.channels.voice.choices import WebhookKind
from supportdesk.channels.voice.models import Call, PhoneNumber
from supportdesk.tickets.models import Case

SESSION_KEY = "phone_simulator_calls"
#: The calls a session remembers (the oldest is forgotten first).
REMEMBERED = 20
#: Fields the desk sets itself: the page chooses neither who calls, nor which call it is, nor
#: where a recording would be fetched from (a voicemail typed here has none).
OWN_FIELDS = {"CallSid", "ParentCallSid", "AccountSid", "From", "To", "Direction", "RecordingUrl"}
MAX_FIELDS, MAX_VALUE = 20, 4000
NOT_UNDERSTOOD = gettext_lazy("The simulator's request is not understood.")


class SimulatorError(ValueError):
    """A step the simulator cannot post, with what the agent should change."""


@dataclass(frozen=True)
class Answer:
    """What the desk answered a simulated step."""

    call: str
    twiml: str
    status: int
    case: Case | None


def new_sid() -> str:
    return "CA" + secrets.token_hex(16)


def _fields(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict) or len(raw) > MAX_FIELDS:
        raise SimulatorError(NOT_UNDERSTOOD)
    fields = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str | int) or key in OWN_FIELDS:
            raise SimulatorError(NOT_UNDERSTOOD)
        fields[key] = str(value)[:MAX_VALUE]
    return fields


def _path(kind: str, callback: str) -> str:
    """The webhook's path, with the query the desk wrote into a callback URL (which agent's
    leg); a callback must be that kind's own webhook."""
    path = reverse("voice_step", args=[kind])
    if not callback:
        return path
    parts = urlsplit(callback)
    if parts.path != path:
        raise SimulatorError(_("That is not the desk's own callback."))
    return f"{path}?{parts.query}" if parts.query else path


def _post(request: HttpRequest, path: str, fields: dict[str, str]) -> tuple[str, int]:
    """Post as the carrier does, signed over the URL the desk will check."""
    factory = RequestFactory(HTTP_HOST=request.get_host())
    fake = factory.post(path, fields, secure=request.is_secure())
    fake.META[carrier.SIGNATURE_HEADER] = carrier.sign(carrier.called_url(fake), fields)
    match = resolve(urlsplit(path).path)
    response = match.func(fake, *match.args, **match.kwargs)
    return response.content.decode(), response.status_code


def _dial(caller: str, number: str) -> tuple[str, str]:
    try:
        caller = normalize_phone(caller)
    except InvalidAddress:
        raise SimulatorError(
            _("Type the caller's number in international form, like +351912345678.")
        ) from None
    if not PhoneNumber.objects.filter(number=number).exists():
        raise SimulatorError(_("Choose one of the desk's numbers to call."))
    return caller, number


def step(request: HttpRequest, payload: object) -> Answer:
    """One step of a simulated call: ``{"kind", "fields", "call"?, "callback"?}``; an
    ``incoming`` step starts a call (``fields``: ``From`` and ``To``) and gets its CallSid."""
    if not isinstance(payload, dict) or payload.get("kind") not in WebhookKind.values:
        raise SimulatorError(NOT_UNDERSTOOD)
    kind = payload["kind"]
    calls: dict[str, list[str]] = request.session.get(SESSION_KEY, {})
    if kind == WebhookKind.INCOMING:
        raw = payload.get("fields") or {}
        if not isinstance(raw, dict):
            raise SimulatorError(NOT_UNDERSTOOD)
        caller, number = _dial(str(raw.get("From", "")), str(raw.get("To", "")))
        sid = new_sid()
        calls = dict(list(calls.items())[-(REMEMBERED - 1) :]) | {sid: [caller, number]}
        request.session[SESSION_KEY] = calls
        fields = {"CallStatus": "ringing"}
    else:
        sid = str(payload.get("call", ""))
        if sid not in calls:
            raise SimulatorError(_("That call is over, or was not made here."))
        caller, number = calls[sid]
        fields = _fields(payload.get("fields") or {})
    own = {"CallSid": sid, "AccountSid": settings.TWILIO_ACCOUNT_SID, "Direction": "inbound"}
    own |= {"From": caller, "To": number}
    if kind == WebhookKind.LEG:  # the agent's leg is a call of its own, child of the caller's
        own |= {"CallSid": new_sid(), "ParentCallSid": sid, "Direction": "outbound-dial"}
        own |= {"From": number, "To": fields.get("Called", "")}
    twiml, status = _post(request, _path(kind, str(payload.get("callback", ""))), own | fields)
    case = (
        Case.objects.visible_to(request.user)
        .filter(pk=Call.objects.filter(sid=sid).values("case_id")[:1])
        .first()
    )
    return Answer(sid, twiml, status, case)
