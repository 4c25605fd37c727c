"""A provider offering number porting (the owner signs) and a new-user request (admins), to
Cliente B of the named world, whose Lisbon calendar counts Portuguese public holidays."""

import struct
import zlib
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.accounts.models import Contact
from supportdesk.accounts.services import save_contact
from supportdesk.service_requests.models import RequestType
from supportdesk.service_requests.services import save_request_type
from tests.factories import World

PORTING_FIELDS = [
    {"key": "numbers", "type": "phone_numbers", "required": True,
     "label": {"pl": "Numery", "en": "Numbers"}},
    {"key": "bill", "type": "file", "types": ["application/pdf", "image/png"], "max_mb": 1,
     "required": True, "label": {"en": "Last month's bill"}},
    {"key": "emergency_address", "type": "address", "required": True,
     "label": {"en": "Emergency address"}},
    {"key": "loa", "type": "signature", "required": True, "label": {"en": "Letter of agency"}},
]  # fmt: skip
NEW_USER_FIELDS = [
    {"key": "full_name", "type": "text", "required": True, "max_length": 20},
    {"key": "extension", "type": "number", "required": True, "min": 100, "max": 9999},
    {"key": "licence", "type": "choice", "required": True,
     "choices": [{"value": "calling", "label": {"en": "Calling"}}, "meetings"]},
    {"key": "start", "type": "date", "future": True, "label": {"en": "Starting on"}},
    {"key": "signature", "type": "signature"},
]  # fmt: skip


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def porting_values(**changes) -> dict:
    values = {
        "numbers": ["+351 21 000 0100", "+351210000101"],
        "emergency_address": {
            "street": "Rua Augusta 1",
            "postcode": "1100-048",
            "city": "Lisboa",
            "country": "PT",
        },
        "loa": {"name": "Olívia Dono", "consent": True},
    }
    return {**values, **changes}


@dataclass
class Offer:
    porting: RequestType
    new_user: RequestType
    owner: Contact


@pytest.fixture
def offer(world: World) -> Offer:
    porting, _change = save_request_type(
        "number-porting",
        names={
            "pl": "Przeniesienie numerów",
            "pt": "Portabilidade de números",
            "en": "Number porting",
        },
        who="owner",
        fields=PORTING_FIELDS,
        checklist=[{"en": "Bill checked", "pt": "Fatura verificada"}, {"en": "LOA sent"}],
        targets={
            "confirmation": {"business_days": [5, 7]},
            "completion": {"business_days": [7, 10]},
        },
    )
    new_user, _change = save_request_type(
        "new-user", names={"en": "New user"}, who="admins", fields=NEW_USER_FIELDS,
        targets={"completion": {"business_days": 2}},
    )  # fmt: skip
    owner = save_contact(world.org, name="Olívia Dono", role="owner", email="olivia@cliente-b.pt")
    owner.user.set_password("secret-pass-123")
    owner.user.save()
    return Offer(porting, new_user, owner)
