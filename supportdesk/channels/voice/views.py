"""The carrier's webhooks: checked, then acted on and kept. Thin: the conversation is in
``calls``; a failure still answers the caller (``calls.fallback``). And the people's pages:
"Call us" in the portal, the agents' calls of the day and their phone simulator."""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.choices import AddressKind
from supportdesk.accounts.models import Contact, RegisteredAddress
from supportdesk.channels.voice import callback, calls, carrier, pages, recordings, simulator
from supportdesk.channels.voice.calls import contact_pin
from supportdesk.channels.voice.choices import WebhookKind
from supportdesk.channels.voice.models import Call, PhoneNumber
from supportdesk.tickets import queue
from supportdesk.tickets.models import Case

log = logging.getLogger(__name__)

TWIML = "text/xml; charset=utf-8"


@csrf_exempt  # the carrier signs its requests instead (carrier.is_signed)
@require_POST
def step(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in WebhookKind.values:
        return HttpResponseNotFound()
    url, posted = carrier.called_url(request), carrier.form_fields(request)
    if not carrier.is_signed(request, url, posted):
        return HttpResponseForbidden("invalid or missing X-Twilio-Signature")
    # Query arguments the desk wrote into its own callback URLs (which agent's leg, ...).
    fields = posted | {key: request.GET[key] for key in request.GET if key not in posted}
    received = calls.received(kind, url, fields, timezone.now())
    try:
        twiml = calls.handle(received)
    except Exception as error:
        log.exception("carrier request %s %s could not be acted on", kind, received.call_sid)
        twiml = calls.fallback(received, error)
    return HttpResponse(twiml, content_type=TWIML)


@agent_required
@require_POST
def call_back(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case page's "call back": queued, placed by the worker through the carrier."""
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    try:
        callback.request_call_back(case, agent=request.user)
    except callback.CallBackError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your phone will ring first, then the customer's."))
    return redirect("case_detail", pk=pk)


# ------------------------------------------------------------------------- people's pages

#: Contacts the simulator offers to call as (beyond them, type the number).
SIMULATOR_CONTACTS = 500
CALLS_PAGE_SIZE = 100


@login_required
def call_us(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The portal's "Call us": the lines, their hours and menus, and the customer's PIN."""
    contact = request.user.contact_or_none
    if contact is None:
        raise Http404
    now = timezone.now()
    context = {
        "countries": pages.lines_for(contact, now, translation.get_language()),
        "pin": contact_pin(contact),
        "now": now,
    }
    return render(request, "voice/call_us.html", context)


@agent_required
def todays_calls(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    found = pages.todays_calls(request.user, now)
    page = queue.simple_page(found, queue.page_number(request.GET.get("page")), CALLS_PAGE_SIZE)
    context = {"page": page, "simulator": settings.PHONE_SIMULATOR, "now": now}
    return render(request, "voice/todays_calls.html", context)


@agent_required
def recording(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    """A call's recording, from the carrier through the desk (the page plays the desk's own
    media only)."""
    call = get_object_or_404(Call.objects.visible_to(request.user), pk=pk)
    if not recordings.fetchable(call.recording_url):
        raise Http404
    try:
        upstream = recordings.open_recording(call.recording_url)
    except OSError:
        log.warning("recording of call %s could not be fetched from the carrier", call.pk)
        return HttpResponse(status=502)
    response = StreamingHttpResponse(
        recordings.chunks(upstream),
        content_type=upstream.headers.get("Content-Type", "audio/mpeg"),
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _simulator_on() -> None:
    if not settings.PHONE_SIMULATOR:
        raise Http404


@agent_required
def simulator_page(request: HttpRequest) -> HttpResponse:
    _simulator_on()
    phones = (
        RegisteredAddress.objects.filter(
            kind=AddressKind.PHONE, contact__in=Contact.objects.visible_to(request.user)
        )
        .select_related("contact__organization")
        .order_by("contact__organization__name", "contact__name", "value")[:SIMULATOR_CONTACTS]
    )
    context = {
        "phones": phones,
        "numbers": PhoneNumber.objects.order_by("country", "name"),
        "step_url": reverse("phone_simulator_step"),
    }
    return render(request, "voice/simulator.html", context)


@agent_required
@require_POST
def simulator_step(request: HttpRequest) -> JsonResponse:
    """One step of a simulated call, posted to the desk's own webhook, signed as a carrier
    signs it; answers the desk's TwiML."""
    _simulator_on()
    try:
        answer = simulator.step(request, json.loads(request.body or b"null"))
    except simulator.SimulatorError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except ValueError:  # not JSON
        return JsonResponse({"error": str(simulator.NOT_UNDERSTOOD)}, status=400)
    case = answer.case
    return JsonResponse(
        {
            "call": answer.call,
            "status": answer.status,
            "twiml": answer.twiml,
            "case": {"label": case.label, "url": reverse("case_detail", args=[case.pk])}
            if case
            else None,
        }
    )
