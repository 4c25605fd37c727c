"""Large mail: a message over ``MAIL_MAX_MESSAGE_BYTES`` is refused the way an MTA reports it
(exit 65, ``5.3.4`` first on the output) with its header block kept; one within the limit is
parsed in bounded memory, its large parts decoded to temporary files a block at a time, and
read exactly as the email package reads them whole."""

import hashlib
import os
import sqlite3
from email.message import EmailMessage

import pytest

from supportdesk.channels.email import mime
from supportdesk.channels.email.management.commands import mail_gateway
from supportdesk.channels.email.models import HoldReason, InboundEmail, IntakeStatus
from supportdesk.tickets.models import Case
from tests.channels.email import gateway_process
from tests.channels.email.conftest import PRIORITY, build

MB = 1024 * 1024


@pytest.mark.django_db
def test_a_message_over_the_limit_is_refused_and_its_headers_kept(
    world, mailboxes, settings, capsys
):
    settings.MAIL_MAX_MESSAGE_BYTES = 100_000
    raw = gateway_process.with_attachment(os.urandom(200_000), subject="Relatório anual")
    assert mail_gateway.run(raw, recipient=PRIORITY) == (65, "")
    error = capsys.readouterr().err
    assert error.startswith("5.3.4 ") and f"{len(raw)} bytes" in error and "100000" in error
    email = InboundEmail.objects.get()
    head = raw[: raw.index(b"\r\n\r\n") + 4]
    assert bytes(email.raw) == head and email.size == len(raw)
    assert email.status == IntakeStatus.HELD and email.hold_reason == HoldReason.TOO_LARGE
    assert email.from_address == "ana@cliente-b.pt" and email.subject == "Relatório anual"
    assert email.recipient == PRIORITY and email.processed_at is not None
    assert not Case.objects.exists()
    # the MTA trying again does not store it twice
    assert mail_gateway.run(raw, recipient=PRIORITY) == (65, "")
    assert InboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_a_message_within_the_limit_lands_whole(world, mailboxes, settings):
    data = os.urandom(300_000)
    raw = gateway_process.with_attachment(data)
    settings.MAIL_MAX_MESSAGE_BYTES = len(raw)
    status, _line = mail_gateway.run(raw)
    email = InboundEmail.objects.get()
    assert status == 0 and bytes(email.raw) == raw and email.case_id is not None
    (part,) = email.attachments.all()
    assert part.size == len(data) and part.sha256 == hashlib.sha256(data).hexdigest()
    with part.attachment.file.open("rb") as stored:
        assert stored.read() == data


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A migrated desk on its own SQLite file, for the gateway run as a process."""
    var = tmp_path_factory.mktemp("large-mail")
    env = gateway_process.environment(var, MAIL_MAX_MESSAGE_BYTES=str(40 * MB))
    gateway_process.migrate(env)
    return var, env


def test_the_gateway_process_refuses_with_a_dsn_status_first(desk):
    var, env = desk
    raw = gateway_process.with_attachment(os.urandom(31 * MB))  # 41 MB as mail
    delivery = gateway_process.deliver(raw, env)
    assert delivery.status == 65 and delivery.stdout == b""
    assert delivery.stderr.startswith(b"5.3.4 message too big for system")
    with sqlite3.connect(var / "desk.sqlite3") as db:
        stored = db.execute(
            "select size, hold_reason, length(raw) from email_channel_inboundemail"
        ).fetchall()
    assert stored == [(len(raw), "too_large", raw.index(b"\r\n\r\n") + 4)]


def test_a_20_mb_attachment_lands_in_bounded_memory(desk):
    """Before, the gateway held about ten copies of such a message (some 280 MB more than
    for a small one); now the raw bytes and the database's copies of them, nothing per line."""
    var, env = desk
    small = gateway_process.deliver(build(subject="Pequena"), env)
    data = os.urandom(20 * MB)
    large = gateway_process.deliver(gateway_process.with_attachment(data), env)
    assert small.status == 0 and large.status == 0, large.stderr.decode()
    growth = large.peak_rss - small.peak_rss
    assert growth < 150 * MB, f"the gateway grew by {growth / MB:.0f} MB"
    with sqlite3.connect(var / "desk.sqlite3") as db:
        size, sha256 = db.execute(
            "select size, sha256 from email_channel_emailattachment order by id desc"
        ).fetchone()
    assert size == len(data) and sha256 == hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ reading large parts


def _with(*parts: tuple[bytes | str, dict]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "ana@cliente-b.pt"
    msg["Subject"] = "Large"
    msg.set_content("Segue em anexo.")
    for content, options in parts:
        msg.add_attachment(content, **options)
    return msg


def _alternative() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "ana@cliente-b.pt"
    msg["Subject"] = "Long text"
    msg.set_content("Łódź. " * 80_000 + "\nfim\n")
    msg.add_alternative("<p>" + "Śląsk " * 60_000 + "</p>", subtype="html")
    msg.add_attachment(
        os.urandom(400_000), maintype="image", subtype="png", filename="a.png", cid="<i1>"
    )
    return msg


def _single_part() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "ana@cliente-b.pt"
    msg.set_content(os.urandom(500_000), maintype="application", subtype="zip", filename="z.zip")
    return msg


BINARY = {"maintype": "application", "subtype": "pdf", "filename": "f.pdf"}
MESSAGES = {
    "base64 attachments": lambda: _with(
        (os.urandom(700_000), BINARY),
        (b"small", {**BINARY, "filename": "s.pdf"}),
    ),
    "quoted-printable": lambda: _with(
        ("żółw = 1\n" * 60_000, {"subtype": "csv", "filename": "t.csv", "cte": "quoted-printable"})
    ),
    "8bit text file": lambda: _with(("linha ç\n" * 60_000, {"filename": "l.txt", "cte": "8bit"})),
    "alternative with large text and html": _alternative,
    "a single large part": _single_part,
}


@pytest.mark.parametrize("name", MESSAGES)
@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_large_parts_read_as_the_package_reads_the_whole_message(name, line_end, monkeypatch):
    raw = MESSAGES[name]().as_bytes().replace(b"\n", line_end)
    streamed = mime.parse(raw)
    assert (
        any(isinstance(part.body, mime.Spool) for part in streamed.parts)
        or len(streamed.text) > mime.LARGE_BODY
    )
    monkeypatch.setattr(mime, "LARGE_BODY", len(raw))  # nothing is large: the package reads all
    whole = mime.parse(raw)
    assert streamed.text == whole.text and streamed.html == whole.html
    assert [
        (p.filename, p.content_type, p.inline, p.content_id, p.size, p.sha256, p.data)
        for p in streamed.parts
    ] == [
        (p.filename, p.content_type, p.inline, p.content_id, p.size, p.sha256, p.data)
        for p in whole.parts
    ]
