"""Call recordings, played on the case page from the desk's own address: the pages' policy
lets media come from the desk only, and a carrier hands recordings to its account alone.

Only recordings on the carrier's own API are fetched (``TWILIO_API_BASE``, a ``Recordings``
path), never another address, whoever wrote it into a call.
"""

import base64
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from urllib.parse import urlsplit

from django.conf import settings

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 10


def fetchable(url: str) -> bool:
    base, parts = urlsplit(settings.TWILIO_API_BASE), urlsplit(url)
    return (
        bool(url)
        and (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
        and "/Recordings/" in parts.path
    )


def open_recording(url: str) -> HTTPResponse:
    """The recording from the carrier, with the account's credentials; raises ``OSError``."""
    if not fetchable(url):
        raise ValueError(f"not a recording on the carrier's API: {url}")
    account = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()
    request = urllib.request.Request(
        url, headers={"Authorization": "Basic " + base64.b64encode(account).decode()}
    )
    return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)


def chunks(upstream: HTTPResponse) -> Iterator[bytes]:
    try:
        while chunk := upstream.read(CHUNK):
            yield chunk
    finally:
        upstream.close()
