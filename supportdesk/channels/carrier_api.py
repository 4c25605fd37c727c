"""The carrier's REST API, for what the desk starts itself: text messages and outbound calls.

Twilio's own client speaks it (SignalWire and Telnyx offer the same API). Its address is
``TWILIO_API_BASE``, read at each use, so a carrier other than Twilio, or the tests' local
fake, takes the desk's requests; the account's SID and token authenticate them.
"""

from django.conf import settings
from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

#: How long the desk waits for the carrier's answer; a send is retried after that.
TIMEOUT_SECONDS = 15

#: The carrier's address prefix that sends a message by WhatsApp rather than SMS.
WHATSAPP = "whatsapp:"


class CarrierError(Exception):
    """The carrier refused the request or could not be reached; the text says which."""


class CarrierUnreachable(CarrierError):
    """No answer from the carrier at all: nothing about the request itself is wrong."""


def _client() -> Client:
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
    )
    # The API domain's address is an attribute of the client: the carrier's, not Twilio's.
    client.api.base_url = settings.TWILIO_API_BASE.rstrip("/")
    return client


def _refused(error: Exception) -> CarrierError:
    if isinstance(error, TwilioRestException):
        return CarrierError(f"{error.status} {error.code or ''}: {error.msg}".replace(" :", ":"))
    if isinstance(error, RequestException):
        return CarrierUnreachable(f"{type(error).__name__}: {error}")
    return CarrierError(f"{type(error).__name__}: {error}")


def send_message(*, to: str, sender: str, body: str) -> str:
    """Send a text (to ``whatsapp:+...`` from ``whatsapp:+...`` for WhatsApp); returns the
    carrier's message SID."""
    try:
        message = _client().messages.create(to=to, from_=sender, body=body)
    except (TwilioException, RequestException) as error:
        raise _refused(error) from error
    return message.sid


def place_call(
    *,
    to: str,
    sender: str,
    url: str | None = None,
    twiml: str | None = None,
    status_callback: str | None = None,
) -> str:
    """Ring ``to`` from one of the desk's numbers; once answered, the carrier fetches ``url``
    (or plays ``twiml``) for what to do next. Returns the call's SID."""
    if (url is None) == (twiml is None):
        raise ValueError("a call needs either a TwiML URL or TwiML, not both")
    try:
        call = _client().calls.create(
            to=to,
            from_=sender,
            url=url,
            twiml=twiml,
            status_callback=status_callback,
            status_callback_event=["answered", "completed"] if status_callback else None,
        )
    except (TwilioException, RequestException) as error:
        raise _refused(error) from error
    return call.sid
