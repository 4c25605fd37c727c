"""Reading a message: Python's ``email`` package (policy=default) builds the tree; this module
reads headers, bodies and parts itself where the package raises or guesses wrong.

Headers are taken raw and decoded here (bogus charsets, 8-bit bytes, encoded words in an
address's local part, which the package silently accepts as a plain address). Parts are
walked by hand so that ``message/rfc822`` stays one attachment, every leaf is decoded with a
charset fallback, and nothing a weird part does (``KeyError``, ``LookupError``) escapes.
"""

import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from functools import lru_cache

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


@dataclass
class Part:
    """An attachment, inline image, forwarded message or anything that is not the body."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


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


def message_id_of(raw: bytes) -> str:
    """The Message-ID, read from the header block with a regex: usable before any parsing."""
    end = raw.find(b"\n\n")
    end2 = raw.find(b"\r\n\r\n")
    ends = [e for e in (end, end2) if e >= 0]
    head = raw[: min(ends)] if ends else raw[:65536]
    match = _HEADER_MSGID.search(head)
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
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.parts: list[Part] = []
        self.status_blocks: list[dict[str, list[str]]] = []
        self.original_ids: list[str] = []
        self.forwarded: list[bytes] = []


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


def _info(part: Message) -> _Info:
    cached = getattr(part, "_supportdesk_info", None)
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
    part._supportdesk_info = info  # type: ignore[attr-defined]
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
            text = decode_bytes(_payload_bytes(part))
            for block in re.split(r"\r?\n\r?\n", text):
                parsed = BytesParser(policy=POLICY).parsebytes(
                    block.encode("utf-8", "replace"), headersonly=True
                )
                walk.status_blocks.append(_raw_headers(parsed))
        return
    if ctype in ("text/rfc822-headers", "text/global-headers"):
        head = BytesParser(policy=POLICY).parsebytes(_payload_bytes(part), headersonly=True)
        walk.original_ids += msg_ids(_raw_headers(head).get("message-id", [""])[0])
        walk.parts.append(Part("headers.txt", ctype, _payload_bytes(part)))
        return
    if isinstance(payload, list):
        children = [c for c in payload if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            plain = next((c for c in children if _is_child_body(c, "text/plain")), None)
            rich = next((c for c in children if _is_child_body(c, "text/html")), None)
            if plain is not None and not skip_plain:
                walk.texts.append(_leaf_text(plain, _payload_bytes(plain)))
            if rich is not None:
                walk.htmls.append(_leaf_text(rich, _payload_bytes(rich)))
            for child in children:
                if child is not plain and child is not rich:
                    has_plain = plain is not None or skip_plain
                    _walk(child, walk, depth + 1, skip_plain=has_plain)
            return
        for child in children:
            _walk(child, walk, depth + 1, skip_plain)
        return
    data = _payload_bytes(part)
    if ctype.startswith("multipart/"):
        ctype = "text/plain"  # a multipart without a usable boundary: its text is the body
    if _is_body(part, ctype):
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
            data,
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


def parse(raw: bytes) -> ParsedMail:
    """Everything the desk needs from one message. Raises only on a bug, never on bad mail."""
    msg = _tree(raw)
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

    walk = _Walk()
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
