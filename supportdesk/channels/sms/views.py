"""The carrier's webhook for texts, and the "text me this link" form. Thin: the work is in
``services``."""

from django.conf import settings
from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
)
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from supportdesk.channels.sms import services
from supportdesk.channels.sms.forms import TextMeForm
from supportdesk.channels.voice import carrier


@csrf_exempt  # the carrier signs its requests instead (carrier.is_signed)
@require_POST
def incoming(request: HttpRequest) -> HttpResponse:
    url, fields = carrier.called_url(request), carrier.form_fields(request)
    if not carrier.is_signed(request, url, fields):
        return HttpResponseForbidden("invalid or missing X-Twilio-Signature")
    if not fields.get("MessageSid"):
        return HttpResponseBadRequest("MessageSid missing")
    services.receive(url, fields, timezone.now())
    # Nothing to answer: replies go out through the outbox when an agent writes.
    return HttpResponse(str(MessagingResponse()), content_type="text/xml; charset=utf-8")


@require_POST
def text_me(request: HttpRequest) -> HttpResponse:
    form = TextMeForm(request.POST)
    if "page" in form.errors:
        return HttpResponseBadRequest(form.errors["page"][0])
    if not form.is_valid():
        messages.error(request, str(form.errors["phone"][0]))
        return redirect(form.cleaned_data["page"] + "#text-me")
    page = form.cleaned_data["page"]
    link = settings.SITE_URL.rstrip("/") + page
    try:
        number = services.text_link(form.cleaned_data["phone"], link, at=timezone.now())
    except services.TextRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("We have texted the link to %(number)s.") % {"number": number})
    return redirect(page + "#text-me")
