"""The carriers' webhooks go straight to their views, past the middleware made for people.

A carrier posts a signed form and waits on the answer while its caller hears silence
(``bench/voice.py``). Sessions, sign-in, CSRF, languages, time zones, htmx, messages, frame and
content policies and the sign-in lockout serve people's browsers; a carrier's request carries
no cookie and its only credential is its signature, which its view checks. Resolving the URL
and passing a dozen middleware took a fifth of a phone step's time. First in ``MIDDLEWARE``,
this hands the carriers' paths to their views with what still applies: a NUL is refused as
everywhere, plain HTTP is redirected where the site requires HTTPS, and the views answer in the
site's language whatever the last request chose.
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from supportdesk.channels.sms import views as sms
from supportdesk.channels.voice import views as voice
from supportdesk.middleware import refusal

#: The paths ``channels/voice/urls.py`` and ``channels/sms/urls.py`` give the carriers' views.
ROUTE = re.compile(r"/channels/(?:voice/(?P<kind>[-a-zA-Z0-9_]+)|sms/incoming)")


class CarrierWebhooks:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = ROUTE.fullmatch(request.path_info)
        if found is None or (settings.SECURE_SSL_REDIRECT and not request.is_secure()):
            return self.get_response(request)  # (plain HTTP where HTTPS is required: redirected)
        refused = refusal(request)
        if refused is not None:
            return refused
        with translation.override(settings.LANGUAGE_CODE):
            kind = found["kind"]
            return sms.incoming(request) if kind is None else voice.step(request, kind)
