"""Reading a message: Python's ``email`` package (policy=default) builds the tree; this module
reads headers, bodies and parts itself where the package raises or guesses wrong.

Headers are taken raw and decoded here (bogus charsets, 8-bit bytes, encoded words in an
address's local part, which the package silently accepts as a plain address). Parts are
walked by hand so that ``message/rfc822`` stays one attachment, every leaf is decoded with a
charset fallback, and nothing a weird part does (``KeyError``, ``LookupError``) escapes.

Memory stays bounded for large mail: before the package sees a message, each large leaf body
is decoded, a block at a time, into a temporary file and replaced by a marker line (``_lift``),
so the package parses a skeleton of headers and small parts, and a 30 MB attachment is never
held whole, nor as the package's 400,000 line strings.
"""

import binascii
import email.utils
import hashlib
import io
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from functools import lru_cache
from typing import IO
from weakref import WeakKeyDictionary

from django.core.files import File
from django.core.files.base import ContentFile

from supportdesk.channels.email.text import (
    decode_bytes,
    decode_header,
    html_to_text,
    sanitize_html,
)

MAX_DEPTH = 30


@lru_cache(maxsize=4096)
def _fetch_header(name: str, value: str):
    return policy.default.header_fetch_parse(name, value)


class _RememberingPolicy(EmailPolicy):
    """``policy.default``, except that a header is parsed once, not on every access: the
    feed parser asks for each part's Content-Type many times (a third of the intake's time)."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        return _fetch_header(name, value)


POLICY = _RememberingPolicy()
_MSGID = re.compile(r"<([^<>\s]+)>")
_HEADER_MSGID = re.compile(
    rb"^message-id[ \t]*:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)
_BAD_ADDRESS = re.compile(r"[\s\"'<>()\[\]\\,;:]|=\?|\?=|[^\x21-\x7e]")


#: A leaf body over this size is decoded to a temporary file while the message is read.
LARGE_BODY = 256 * 1024
#: How much of a large body is decoded at a time.
_BLOCK = 64 * 1024
#: Transfer encodings decoded here exactly as the package would (uuencode is left to it).
_STREAMED_ENCODINGS = frozenset({"", "7bit", "8bit", "binary", "base64", "quoted-printable"})
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
_LONE_CR = re.compile(rb"\r(?!\n)")


class Spool:
    """A part's body, decoded into a temporary file as the message was read; its size and
    SHA-256 are counted on the way, so nothing needs it whole in memory."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (lives with the part)
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.size += len(data)
        self._digest.update(data)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def read(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def open(self) -> File:
        self.file.seek(0)
        content = File(self.file)
        content.size = self.size
        return content


@dataclass
class Part:
    """An attachment, inline image, forwarded message or anything that is not the body: its
    bytes, or a ``Spool`` when it is large."""

    filename: str
    content_type: str
    body: bytes | Spool
    content_id: str = ""
    inline: bool = False

    @property
    def data(self) -> bytes:
        """The whole body in memory; the desk stores ``content()`` instead."""
        return self.body.read() if isinstance(self.body, Spool) else self.body

    @property
    def size(self) -> int:
        return self.body.size if isinstance(self.body, Spool) else len(self.body)

    @property
    def sha256(self) -> str:
        if isinstance(self.body, Spool):
            return self.body.sha256
        return hashlib.sha256(self.body).hexdigest()

    def content(self) -> File:
        """The body as a file to store, read from its temporary file when it has one."""
        return self.body.open() if isinstance(self.body, Spool) else ContentFile(self.body)


@dataclass
class DeliveryReport:
    """What a bounce (RFC 3464 DSN, or a recognisable non-standard one) says."""

    action: str = ""  # failed, delayed, delivered, relayed, expanded
    recipients: list[str] = field(default_factory=list)
    status: str = ""
    diagnostic: str = ""
    original_ids: list[str] = field(default_factory=list)


@dataclass
class ParsedMail:
    headers: dict[str, list[str]]
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    from_defective: bool = False
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str = ""
    delivered_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""
    parts: list[Part] = field(default_factory=list)
    report_type: str = ""
    report: DeliveryReport | None = None
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The first value of a header, decoded; empty when absent."""
        values = self.headers.get(name.lower())
        return decode_header(values[0]) if values else ""

    def has(self, name: str) -> bool:
        return name.lower() in self.headers

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers: In-Reply-To first, then References newest first."""
        ids = [*self.in_reply_to, *reversed(self.references)]
        return list(dict.fromkeys(i for i in ids if i))


def clean(value: str) -> str:
    """Text any database stores: no NUL, no lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def header_block(raw: bytes, limit: int = 65536) -> bytes:
    """The header block and the empty line after it, found without parsing (at most
    ``limit`` bytes)."""
    head = raw[:limit]
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := head.find(sep)) >= 0]
    return head[: min(ends)] if ends else head


def message_id_of(raw: bytes) -> str:
    """The Message-ID, read from the header block with a regex: usable before any parsing."""
    match = _HEADER_MSGID.search(header_block(raw))
    if not match:
        return ""
    value = match[1].decode("ascii", "replace")
    ids = _MSGID.findall(value)
    found = ids[0] if ids else value.strip()
    return clean(found)[:255]


def msg_ids(value: str) -> list[str]:
    ids = _MSGID.findall(value)
    if not ids and value.strip() and " " not in value.strip():
        ids = [value.strip().strip("<>")]
    return [clean(i)[:255] for i in ids]


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    try:
        items = list(msg.raw_items())
    except Exception:
        items = list(getattr(msg, "_headers", []))
    for name, value in items:
        text = value if isinstance(value, str) else str(value)
        text = re.sub(r"\r?\n(?=[ \t])", "", text).strip()
        headers.setdefault(str(name).strip().lower(), []).append(text)
    return headers


def _addresses(values: list[str], bare: bool = False) -> list[tuple[str, str]]:
    """(name, address) pairs from raw header values; the address as written, lowercased.
    ``bare``: keep a sender with no domain at all (``From: MAILER-DAEMON``) for display."""
    pairs = []
    for value in values:
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            value = decode_bytes(value.encode("utf-8", "surrogateescape"))
        try:
            found = email.utils.getaddresses([value])
        except Exception:
            found = []
        found = [(n, a) for n, a in found if "@" in a]
        if not found:
            match = re.search(r"[^\s<>\"',;:]+@[^\s<>\"',;:]+", value)
            if match:
                found = [("", match[0])]
        pairs += [(decode_header(n).strip().strip("\"'"), a.strip().lower()) for n, a in found]
    if not pairs and bare and values:
        match = re.fullmatch(r"\s*([\w.+-]+)\s*(?:\((.*)\))?\s*", values[0])
        if match:
            pairs = [(decode_header(match[2] or ""), match[1].lower())]
    return pairs


def _defective(address: str) -> bool:
    """An address that is not a plain addr-spec (encoded words, spaces, 8-bit): not proof of
    anything, whatever a lenient parser made of it."""
    local, _, domain = address.rpartition("@")
    return not local or not domain or "." not in domain or bool(_BAD_ADDRESS.search(address))


class _Walk:
    def __init__(self, lifted: dict[str, Spool] | None = None) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.parts: list[Part] = []
        self.status_blocks: list[dict[str, list[str]]] = []
        self.original_ids: list[str] = []
        self.forwarded: list[bytes] = []
        self.lifted = lifted or {}

    def spool(self, part: Message) -> Spool | None:
        """The temporary file holding this leaf's body, if ``_lift`` took it out."""
        if not self.lifted:
            return None
        payload = _safe(part.get_payload, None)
        return self.lifted.get(payload.strip()) if isinstance(payload, str) else None

    def payload(self, part: Message) -> bytes:
        """A leaf's decoded body, from its temporary file or from the tree."""
        spool = self.spool(part)
        return spool.read() if spool is not None else _payload_bytes(part)


def _safe(call, default):
    try:
        value = call()
    except Exception:
        return default
    return default if value is None else value


@dataclass
class _Info:
    """A part's Content-Type and Content-Disposition, each header parsed once (the package
    parses a header again on every access, which dominated the intake's time)."""

    ctype: str
    params: dict[str, str]
    disposition: str | None
    filename: str


def _params(header) -> dict[str, str]:
    try:
        return {str(k).lower(): str(v) for k, v in header.params.items()}
    except Exception:
        return {}


#: Each part's headers, parsed once; an entry lasts as long as its part.
_INFOS: "WeakKeyDictionary[Message, _Info]" = WeakKeyDictionary()


def _info(part: Message) -> _Info:
    cached = _INFOS.get(part)
    if cached is not None:
        return cached
    content_type = _safe(lambda: part.get("content-type"), None)
    if content_type is None:
        ctype, params = _safe(part.get_default_type, "text/plain"), {}
    else:
        ctype = str(_safe(lambda: content_type.content_type, "text/plain")).lower()
        params = _params(content_type)
        if ctype.count("/") != 1:
            ctype = "text/plain"
    content_disposition = _safe(lambda: part.get("content-disposition"), None)
    disposition, dparams = None, {}
    if content_disposition is not None:
        disposition = _safe(lambda: content_disposition.content_disposition, None)
        dparams = _params(content_disposition)
    name = dparams.get("filename") or params.get("name") or ""
    filename = clean(decode_header(name))[:255] if name else ""
    info = _Info(clean(ctype)[:127], params, disposition, filename)
    _INFOS[part] = info
    return info


def _ctype(part: Message) -> str:
    return _info(part).ctype


def _payload_bytes(part: Message) -> bytes:
    data = _safe(lambda: part.get_payload(decode=True), None)
    if isinstance(data, bytes):
        return data
    payload = _safe(part.get_payload, "")
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: join soft-broken lines back into paragraphs."""
    out: list[str] = []
    buffer = ""
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line.rstrip() != "--":
            buffer += line[:-1] if delsp else line
        else:
            out.append(buffer + line)
            buffer = ""
    if buffer:
        out.append(buffer)
    return "\n".join(out)


def _leaf_text(part: Message, data: bytes) -> str:
    params = _info(part).params
    text = decode_bytes(data, params.get("charset")).replace("\r\n", "\n").replace("\r", "\n")
    if params.get("format", "").lower() == "flowed":
        text = _unflow(text, params.get("delsp", "").lower() == "yes")
    return text


def _filename(part: Message) -> str:
    return _info(part).filename


def _message_bytes(inner: Message) -> bytes:
    for attempt in (
        lambda: inner.as_bytes(policy=policy.compat32),
        lambda: inner.as_bytes(),
        lambda: str(inner).encode("utf-8", "surrogateescape"),
    ):
        data = _safe(attempt, None)
        if data is not None:
            return data
    return b""


def _walk(part: Message, walk: _Walk, depth: int = 0, skip_plain: bool = False) -> None:
    ctype = _ctype(part)
    payload = _safe(part.get_payload, None)
    if depth > MAX_DEPTH:
        walk.parts.append(Part("part.bin", ctype, _message_bytes(part)))
        return
    if ctype in ("message/rfc822", "message/global") and isinstance(payload, list) and payload:
        data = _message_bytes(payload[0])
        subject = decode_header(_raw_headers(payload[0]).get("subject", [""])[0])
        name = _filename(part) or clean(f"{(subject or 'message')[:100]}.eml")
        walk.parts.append(Part(name, "message/rfc822", data))
        walk.forwarded.append(data)
        walk.original_ids += msg_ids(_raw_headers(payload[0]).get("message-id", [""])[0])
        return
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        if isinstance(payload, list):
            walk.status_blocks += [_raw_headers(block) for block in payload]
        else:
            text = decode_bytes(walk.payload(part))
            for block in re.split(r"\r?\n\r?\n", text):
                parsed = BytesParser(policy=POLICY).parsebytes(
                    block.encode("utf-8", "replace"), headersonly=True
                )
                walk.status_blocks.append(_raw_headers(parsed))
        return
    if ctype in ("text/rfc822-headers", "text/global-headers"):
        data = walk.payload(part)
        head = BytesParser(policy=POLICY).parsebytes(data, headersonly=True)
        walk.original_ids += msg_ids(_raw_headers(head).get("message-id", [""])[0])
        walk.parts.append(Part("headers.txt", ctype, data))
        return
    if isinstance(payload, list):
        children = [c for c in payload if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            plain = next((c for c in children if _is_child_body(c, "text/plain")), None)
            rich = next((c for c in children if _is_child_body(c, "text/html")), None)
            if plain is not None and not skip_plain:
                walk.texts.append(_leaf_text(plain, walk.payload(plain)))
            if rich is not None:
                walk.htmls.append(_leaf_text(rich, walk.payload(rich)))
            for child in children:
                if child is not plain and child is not rich:
                    has_plain = plain is not None or skip_plain
                    _walk(child, walk, depth + 1, skip_plain=has_plain)
            return
        for child in children:
            _walk(child, walk, depth + 1, skip_plain)
        return
    if ctype.startswith("multipart/"):
        ctype = "text/plain"  # a multipart without a usable boundary: its text is the body
    if _is_body(part, ctype):
        data = walk.payload(part)
        if ctype == "text/html":
            walk.htmls.append(_leaf_text(part, data))
        elif not skip_plain:
            walk.texts.append(_leaf_text(part, data))
        return
    disposition = _info(part).disposition
    content_id = _raw_headers(part).get("content-id", [""])[0].strip().strip("<>")
    name = _filename(part)
    if not name:
        extension = ctype.split("/")[-1].split("+")[0][:10] or "bin"
        name = "winmail.dat" if ctype == "application/ms-tnef" else f"part.{extension}"
    walk.parts.append(
        Part(
            name,
            clean(ctype)[:127],
            walk.spool(part) or _payload_bytes(part),
            clean(content_id)[:255],
            inline=disposition == "inline" or (disposition is None and bool(content_id)),
        )
    )


def _is_body(part: Message, ctype: str) -> bool:
    """Whether a leaf of this (effective) type is the message's text rather than an attachment."""
    if ctype not in ("text/plain", "text/html"):
        return False
    info = _info(part)
    return info.disposition != "attachment" and not info.filename


def _is_child_body(part: Message, ctype: str) -> bool:
    return _ctype(part) == ctype and _is_body(part, ctype)


def _report(walk: _Walk, report_type: str) -> DeliveryReport | None:
    if not walk.status_blocks and report_type != "delivery-status":
        return None
    report = DeliveryReport(original_ids=list(dict.fromkeys(walk.original_ids)))
    for block in walk.status_blocks:
        recipient = (block.get("final-recipient") or block.get("original-recipient") or [""])[0]
        if recipient:
            address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
            if "@" in address:
                report.recipients.append(clean(address))
        action = (block.get("action") or [""])[0].strip().lower()
        if action and (not report.action or action == "failed"):
            report.action = clean(action)[:20]
            report.status = clean((block.get("status") or [""])[0].strip())[:20]
            report.diagnostic = clean(decode_header((block.get("diagnostic-code") or [""])[0]))
    return report


_HEADER_LINE = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+[ \t]*:|From )")


def repair_header_block(raw: bytes) -> bytes:
    """Make a damaged header block parseable: drop junk lines before the first header (a few
    at most) and treat lines inside it that are no header as continuations, as MUAs do."""
    lines = raw.split(b"\n")
    start = 0
    while start < min(len(lines), 6) and not _HEADER_LINE.match(lines[start]):
        start += 1
    if start == min(len(lines), 6):
        start = 0
    out = []
    index = start
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip(b"\r"):
            break
        if not _HEADER_LINE.match(line) and line[:1] not in (b" ", b"\t"):
            line = b" " + line
        out.append(line)
    return b"\n".join(out + lines[index:])


def _tree(raw: bytes) -> Message:
    """The MIME tree; the package itself can raise on some damaged structures (seen in
    fuzzing: IndexError), so fall back to a repaired header block, then to headers only."""
    try:
        msg = BytesParser(policy=POLICY).parsebytes(raw)
    except Exception:
        msg = None
    if msg is None or any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in msg.defects):
        try:
            return BytesParser(policy=POLICY).parsebytes(repair_header_block(raw))
        except Exception:
            if msg is not None:
                return msg
    if msg is None:
        try:
            msg = BytesParser(policy=POLICY).parsebytes(raw, headersonly=True)
        except Exception:  # not even a header block: all of it is the text
            msg = Message(policy=POLICY)
            msg.set_payload(raw.decode("ascii", "surrogateescape"))
    return msg


class _Unliftable(Exception):
    """A structure ``_lift`` cannot follow exactly as the package would: parse it whole."""


def _without_linesep(line: bytes) -> bytes:
    return line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\r\n")


class _Body:
    """One leaf body as it is read: kept in lines while small, decoded into a ``Spool`` a
    block at a time once it is large."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.lines: list[bytes] = []
        self.buffered = 0
        self.spool: Spool | None = None
        self._carry = b""  # base64 characters short of a whole 4-character group

    def add(self, line: bytes) -> None:
        self.lines.append(line)
        self.buffered += len(line)
        if self.buffered > (LARGE_BODY if self.spool is None else _BLOCK):
            self.spool = self.spool or Spool()
            # The last line waits: the line break before a boundary belongs to the boundary.
            block, self.lines = self.lines[:-1], self.lines[-1:]
            self.buffered = len(self.lines[0])
            self._decode(b"".join(block))

    def finish(self, at_boundary: bool) -> None:
        if at_boundary and self.lines:
            self.lines[-1] = _without_linesep(self.lines[-1])
        self._decode(b"".join(self.lines), final=True)
        self.lines = []

    def _decode(self, data: bytes, final: bool = False) -> None:
        assert self.spool is not None
        if self.encoding == "base64":
            data = self._carry + _NOT_BASE64.sub(b"", data)
            whole = len(data) - len(data) % 4
            data, self._carry = data[:whole], data[whole:]
            if final and len(self._carry) > 1:  # missing padding, as the package forgives
                data += (self._carry + b"==")[:4]
            try:
                data = binascii.a2b_base64(data)
            except binascii.Error:
                raise _Unliftable from None
        elif self.encoding == "quoted-printable":
            data = binascii.a2b_qp(data)
        self.spool.write(data)


class _Lifter:
    """Reads a message line by line, following its MIME structure as the package does
    (boundaries of every enclosing multipart end a part), and writes a skeleton in which each
    large leaf body is a marker line; the bodies go to temporary files."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.lifted: dict[str, Spool] = {}
        self._token = secrets.token_hex(8)  # a message cannot forge a marker
        self._boundaries: list[tuple[re.Pattern[bytes], bool]] = []  # (line, is digest)
        self._head: list[bytes] | None = []  # the header block being read, if any
        self._body: _Body | None = None

    def feed(self, line: bytes) -> None:
        if self._head is not None:
            if _HEADER_LINE.match(line) or (self._head and line[:1] in (b" ", b"\t")):
                self._head.append(line)
                return
            if line.strip(b"\r\n"):
                raise _Unliftable  # a header block not ended by an empty line
            self._start_body(self._head)
            self._head = None
            self.out.write(line)
            return
        closing = self._boundary(line) if line.startswith(b"--") else None
        if closing is not None:
            self._end_body(at_boundary=True)
            self.out.write(line)
            self._head = None if closing else []
            return
        if self._body is not None:
            self._body.add(line)
        else:
            self.out.write(line)

    def close(self) -> bytes:
        if self._head:
            self.out.write(b"".join(self._head))
        self._end_body(at_boundary=False)
        return self.out.getvalue()

    def _start_body(self, head: list[bytes]) -> None:
        block = b"".join(head)
        self.out.write(block)
        headers = BytesParser(policy=POLICY).parsebytes(block, headersonly=True)
        if self._boundaries and self._boundaries[-1][1]:
            headers.set_default_type("message/rfc822")  # inside multipart/digest
        maintype = headers.get_content_maintype()
        if maintype == "multipart":
            boundary = headers.get_boundary()
            if boundary is None:
                raise _Unliftable
            try:
                separator = re.escape(b"--" + boundary.encode("ascii"))
            except UnicodeEncodeError:
                raise _Unliftable from None
            pattern = re.compile(separator + rb"(--)?[ \t]*(?:\r\n|\n)?\Z")
            self._boundaries.append((pattern, headers.get_content_subtype() == "digest"))
            return
        encoding = str(headers.get("content-transfer-encoding", "")).strip().lower()
        if maintype != "message" and encoding in _STREAMED_ENCODINGS:
            self._body = _Body(encoding)

    def _boundary(self, line: bytes) -> bool | None:
        """None if ``line`` is no boundary of an open multipart; else whether it closes one
        (inner multiparts end with it either way)."""
        for level in range(len(self._boundaries) - 1, -1, -1):
            match = self._boundaries[level][0].match(line)
            if match:
                del self._boundaries[level + 1 :]
                if match[1]:
                    self._boundaries.pop()
                return bool(match[1])
        return None

    def _end_body(self, at_boundary: bool) -> None:
        body, self._body = self._body, None
        if body is None:
            return
        if body.spool is None:
            self.out.write(b"".join(body.lines))
            return
        linesep = b"\r\n" if body.lines and body.lines[-1].endswith(b"\r\n") else b"\n"
        body.finish(at_boundary)
        marker = f"supportdesk-lifted-{self._token}-{len(self.lifted)}"
        self.lifted[marker] = body.spool
        self.out.write(marker.encode("ascii") + linesep)


def _lift(raw: bytes) -> tuple[bytes, dict[str, Spool]]:
    """``raw`` with its large leaf bodies taken out to temporary files (see ``_Lifter``), or
    as it is when it is small or its structure is too odd to follow with certainty."""
    if len(raw) <= LARGE_BODY or _LONE_CR.search(raw):
        return raw, {}
    lifter = _Lifter()
    try:
        for line in io.BytesIO(raw):
            lifter.feed(line)
        skeleton = lifter.close()
    except _Unliftable:
        return raw, {}
    return (skeleton, lifter.lifted) if lifter.lifted else (raw, {})


def parse(raw: bytes) -> ParsedMail:
    """Everything the desk needs from one message. Raises only on a bug, never on bad mail."""
    skeleton, lifted = _lift(raw)
    msg = _tree(skeleton)
    headers = _raw_headers(msg)
    parsed = ParsedMail(headers=headers)
    parsed.defects = [type(d).__name__ for d in _safe(lambda: msg.defects, [])]
    parsed.message_id = (msg_ids(headers.get("message-id", [""])[0]) or [""])[0]
    parsed.in_reply_to = msg_ids(" ".join(headers.get("in-reply-to", [])))
    parsed.references = msg_ids(" ".join(headers.get("references", [])))
    parsed.subject = clean(parsed.header("subject"))
    senders = _addresses(headers.get("from", []), bare=True)
    if senders:
        parsed.from_name, parsed.from_address = (clean(s) for s in senders[0])
        parsed.from_defective = (
            len(senders) > 1 or len(headers.get("from", [])) > 1 or _defective(parsed.from_address)
        )
    parsed.from_address = parsed.from_address[:254]
    parsed.from_name = parsed.from_name[:200]
    parsed.to = [clean(a) for _n, a in _addresses(headers.get("to", []))]
    parsed.cc = [clean(a) for _n, a in _addresses(headers.get("cc", []))]
    reply_to = _addresses(headers.get("reply-to", []) or headers.get("sender", []))
    parsed.reply_to = clean(reply_to[0][1]) if reply_to else ""
    parsed.delivered_to = [
        clean(a)
        for _n, a in _addresses(headers.get("delivered-to", []) + headers.get("x-original-to", []))
    ]
    date = headers.get("date", [""])[0]
    parsed.date = _safe(lambda: email.utils.parsedate_to_datetime(date), None) if date else None
    if parsed.date is not None and parsed.date.tzinfo is None:
        parsed.date = None

    walk = _Walk(lifted)
    _walk(msg, walk)
    text = "\n\n".join(t.strip("\n") for t in walk.texts if t.strip())
    html = "\n".join(walk.htmls)
    if not text.strip() and html.strip():
        text = html_to_text(html)
    if not text.strip() and walk.forwarded:
        text = parse_forwarded(walk.forwarded[0])
    parsed.text = clean(text.strip())
    parsed.html = clean(sanitize_html(html)) if html.strip() else ""
    parsed.parts = walk.parts
    if _ctype(msg) == "multipart/report":
        parsed.report_type = _info(msg).params.get("report-type", "").lower()
    parsed.report = _report(walk, parsed.report_type)
    return parsed


def parse_forwarded(data: bytes) -> str:
    """The text of a forwarded message, for a message that is nothing but the forward."""
    try:
        inner = parse(data)
    except RecursionError:
        return ""
    return inner.text
