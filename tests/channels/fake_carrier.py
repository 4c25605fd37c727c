"""A carrier's REST API on a loopback port, for tests: a real HTTP server (``http.server`` in a
thread) that takes ``Messages.json`` and ``Calls.json`` as Twilio's API does, checks HTTP basic
auth with the account's SID and token, records what it was asked, and can be told to refuse.

Use the ``fake_carrier`` fixture: it starts the server and points ``TWILIO_API_BASE`` at it.
"""

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from urllib.parse import parse_qs

import pytest

ACCOUNTS = "/2010-04-01/Accounts/"
RESOURCES = {"Messages.json": ("SM", "queued"), "Calls.json": ("CA", "queued")}


@dataclass
class Posted:
    """One POST the carrier accepted: which resource, and its form fields."""

    resource: str
    fields: dict[str, str]
    sid: str


@dataclass
class Refusal:
    status: int
    code: int
    message: str


@dataclass
class FakeCarrier:
    sid: str
    token: str
    base_url: str = ""
    posted: list[Posted] = field(default_factory=list)
    refusal: Refusal | None = None
    _numbers: Iterator[int] = field(default_factory=lambda: count(1))

    @property
    def messages(self) -> list[dict[str, str]]:
        return [p.fields for p in self.posted if p.resource == "Messages.json"]

    @property
    def calls(self) -> list[dict[str, str]]:
        return [p.fields for p in self.posted if p.resource == "Calls.json"]

    def refuse(
        self,
        code: int = 21612,
        message: str = "The 'To' phone number is not currently reachable via SMS.",
        status: int = 400,
    ) -> None:
        """Answer every request from now on with a Twilio-style error."""
        self.refusal = Refusal(status, code, message)

    def accept(self) -> None:
        self.refusal = None

    def authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        return header == f"Basic {expected}"

    def next_sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._numbers):032x}"


def _handler(carrier: FakeCarrier) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet in test output
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            self._answer(
                status,
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
            )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            fields = {key: values[-1] for key, values in form.items()}
            account, _, resource = self.path.removeprefix(ACCOUNTS).partition("/")
            if not self.path.startswith(ACCOUNTS) or resource not in RESOURCES:
                return self._error(404, 20404, "The requested resource was not found")
            if account != carrier.sid or not carrier.authorised(
                self.headers.get("Authorization", "")
            ):
                return self._error(401, 20003, "Authenticate")
            if carrier.refusal is not None:
                refusal = carrier.refusal
                return self._error(refusal.status, refusal.code, refusal.message)
            prefix, status = RESOURCES[resource]
            sid = carrier.next_sid(prefix)
            carrier.posted.append(Posted(resource, fields, sid))
            self._answer(
                201,
                {
                    "sid": sid,
                    "account_sid": account,
                    "to": fields.get("To", ""),
                    "from": fields.get("From", ""),
                    "body": fields.get("Body"),
                    "status": status,
                    "uri": f"{ACCOUNTS}{account}/{resource.replace('.json', '')}/{sid}.json",
                },
            )

    return Handler


@pytest.fixture
def fake_carrier(settings) -> Iterator[FakeCarrier]:
    """The carrier's REST API, running; the desk's ``TWILIO_API_BASE`` points at it."""
    carrier = FakeCarrier(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(carrier))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    carrier.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TWILIO_API_BASE = carrier.base_url
    try:
        yield carrier
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
