"""Text helpers for mail: charsets that lie, HTML a person can read, quotes and signatures.

Python's codecs know the charsets; mail adds bogus labels (``iso-gb2312``), 8-bit text with
no label or the wrong one, and HTML-only bodies. Everything here returns ``str`` and never
raises on bad input.
"""

import codecs
import re
from html import unescape
from html.parser import HTMLParser

import nh3

#: Labels seen in real mail that Python does not know, or knows as something narrower than
#: what senders mean (WHATWG's encoding standard maps these the same way, as browsers do).
_ALIASES = {
    "iso-gb2312": "gb18030",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "charset": "",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "shift-jis": "shift_jis",
    "x-sjis": "shift_jis",
    "windows-874": "cp874",
}

#: Fallbacks for 8-bit text whose label is missing or wrong; the customers write Polish and
#: Portuguese, so both Windows code pages are tried and the more plausible result wins.
_GUESSES = ("cp1252", "cp1250", "iso8859_2")

#: Characters that are rare in real text but typical of a wrong single-byte decoding.
_SUSPECT = frozenset(
    "¹³¿œŸæ¼½¾¤¦¨´¸ÃÂÐÞþðăőţűŕĺľĂŐŢŰŔĹĽ" + "".join(chr(c) for c in range(0x80, 0xA0)) + "\ufffd"
)


def codec_for(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when it is unknown or says nothing."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it
        if label.startswith("windows-") and label[8:].isdigit():
            return codec_for("cp" + label[8:])
        return None


def _suspicion(text: str) -> int:
    return sum(1 for ch in text if ch in _SUSPECT)


_JAPANESE_7BIT = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_2")
_CJK = ("gb18030", "big5", "shift_jis", "euc_jp", "cp949")


def _cjk_share(text: str) -> float:
    """Share of non-ASCII characters that are CJK ideographs, kana, hangul or CJK punctuation."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 0.0
    cjk = sum(
        1
        for ch in wide
        if "\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uff00" <= ch <= "\uffef"
    )
    return cjk / len(wide)


def _looks_double_byte(data: bytes) -> bool:
    """8-bit bytes in long runs, as CJK encodings write them; European text has short ones."""
    runs = re.findall(rb"[\x80-\xff]+", data)
    high = sum(len(r) for r in runs)
    return high >= 4 and high / len(runs) >= 3


def _guess_cjk(data: bytes) -> str | None:
    """Chinese, Japanese or Korean text with its label lost: the decoding whose non-ASCII
    characters are nearly all CJK wins; Japanese needs kana, Korean needs hangul."""
    best: tuple[float, str] | None = None
    for codec in _CJK:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = max(1, sum(1 for ch in text if ord(ch) > 0x7F))
        share = _cjk_share(text)
        kana = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff") / wide
        hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7af") / wide
        if codec in ("shift_jis", "euc_jp"):
            share += 0.5 if kana >= 0.1 else -0.5
        elif codec == "cp949":
            share += -0.5 if hangul < 0.5 else 0
        elif kana or hangul:
            share -= 0.5
        if share >= 0.9 and (best is None or share > best[0]):
            best = (share, text)
    return best[1] if best else None


def _strict_or_nearly(data: bytes, codec: str) -> str | None:
    """Decode with the declared codec; accept a few bad bytes (one broken character should not
    send a whole message to guessing), not many."""
    variants = _JAPANESE_7BIT if codec.startswith("iso2022_jp") else (codec,)
    for variant in variants:
        try:
            return data.decode(variant)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        text = data.decode(codec, "replace")
    except LookupError:
        return None
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    return text if bad * 10 <= wide else None


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Decode text whose charset label may be missing, bogus or wrong, never failing."""
    codec = codec_for(label)
    if codec is None and data.isascii() and b"\x1b$" in data:
        codec = "iso2022_jp"  # 7-bit Japanese with its label lost
    if codec is not None:
        if codec == "ascii" and not data.isascii():
            codec = None  # mislabelled 8-bit: guess below
        else:
            text = _strict_or_nearly(data, codec)
            if text is not None and (
                codec not in ("cp1252", "cp1250", "iso8859_2") or not _suspicion(text)
            ):
                return text
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")  # valid UTF-8 with 8-bit bytes is almost never an accident
    except UnicodeDecodeError:
        pass
    best: tuple[int, int, str] | None = None
    candidates = ([codec] if codec else []) + [g for g in _GUESSES if g != codec]
    for rank, guess in enumerate(candidates):
        try:
            text = data.decode(guess)
        except (UnicodeDecodeError, LookupError):
            continue
        score = (_suspicion(text), rank, text)
        if best is None or score[:2] < best[:2]:
            best = score
    if best is None or best[0] * 5 >= sum(1 for b in data if b > 0x7F) or _looks_double_byte(data):
        text = _guess_cjk(data)
        if text is not None:
            return text
    if best is not None:
        return best[2]
    return data.decode("utf-8", "replace")


# --- RFC 2047 encoded words ------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _word_bytes(encoding: str, payload: str) -> bytes:
    """The bytes of one encoded word, however badly it was encoded."""
    if encoding in "bB":
        import base64
        import binascii

        data = payload.encode("ascii", "ignore").rstrip(b"=")
        data = data[: len(data) - len(data) % 4 if len(data) % 4 == 1 else len(data)]
        try:
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "ignore")
    raw = payload.replace("_", " ").encode("ascii", "ignore")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), raw)


def decode_header(value: str | None) -> str:
    """An unstructured header (e.g. Subject) as text: unfolded, encoded words decoded in any
    charset, raw 8-bit bytes (carried as surrogate escapes by the parser) guessed."""
    if not value:
        return ""
    value = _FOLD.sub("", value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"))
    if "=?" not in value:
        return value.strip()
    # Plain text as it stands; a run of encoded words as (charset, their bytes joined).
    pieces: list[str | tuple[str, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between and not (between.isspace() and pieces and isinstance(pieces[-1], tuple)):
            pieces.append(between)
        charset = match[1].split("*", 1)[0].lower()  # RFC 2231 language suffix
        data = _word_bytes(match[2], match[3])
        last = pieces[-1] if pieces else None
        if isinstance(last, tuple) and last[0] == charset:
            pieces[-1] = (charset, last[1] + data)
        else:
            pieces.append((charset, data))
        position = match.end()
    pieces.append(value[position:])
    text = "".join(
        part if isinstance(part, str) else decode_bytes(part[1], part[0]) for part in pieces
    )
    return text.replace("\r", "").replace("\n", " ").strip()


# --- HTML ------------------------------------------------------------------------------------

_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset"),
        *("figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul"),
    }
)
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.pre = 0
        self.quote = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def _trailing_newlines(self) -> int:
        count = 0
        for piece in reversed(self.out):
            stripped = piece.rstrip("\n")
            count += len(piece) - len(stripped)
            if stripped:
                return count
        return count if self.out else 2

    def _newline(self, count: int = 1) -> None:
        missing = count - self._trailing_newlines()
        if missing > 0:
            self.out.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")  # a hard break always counts, even after a block
        elif tag in _BLOCKS:
            self._newline(2 if tag in {"p", "blockquote", "table", "ul", "ol"} else 1)
            if tag == "li":
                self.out.append("- ")
            if tag == "pre":
                self.pre += 1
            if tag == "blockquote":
                self.quote += 1
        elif tag in ("td", "th"):
            self.out.append("\t")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self._newline(2 if tag in {"p", "blockquote", "table", "ul", "ol"} else 1)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
        elif tag == "a":
            shown = "".join(self.link_text).strip()
            href = self.href or ""
            if href.startswith(("http://", "https://")) and href.rstrip("/") not in (
                shown.rstrip("/"),
                "http://" + shown.rstrip("/"),
                "https://" + shown.rstrip("/"),
            ):
                self.out.append(f" <{href}>")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            if self._trailing_newlines():
                data = data.lstrip(" ")
        if self.quote and not self.pre:
            data = data.replace("\n", "\n> ")
        if self.href is not None:
            self.link_text.append(data)
        self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: paragraphs, line breaks, list items, link targets."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but never let markup stop a message
        return re.sub(r"<[^>]*>", " ", unescape(html))
    text = "".join(parser.out).replace("\xa0", " ")
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sanitize_html(html: str) -> str:
    """HTML safe to show an agent: no scripts, styles, handlers or remote tricks (nh3)."""
    schemes = {"http", "https", "mailto", "tel", "cid"}
    try:
        return nh3.clean(html, url_schemes=schemes, link_rel="noopener noreferrer nofollow")
    except Exception:  # nh3 rejects nothing it can read; a surrogate would still fail
        return nh3.clean(html.encode("utf-8", "replace").decode("utf-8"), url_schemes=schemes)


# --- quoted history and signatures -----------------------------------------------------------

_QUOTE_HEADERS = re.compile(
    r"""^\s*(?:
        (?:on|am|le|el|em|no\ dia|w\ dniu|dnia)\b(?:.|\n(?!\n)){0,200}?
            (?:wrote|schrieb|a\ écrit|escribió|escreveu|napisał|napisała|pisze|napisal)\s*:\s*$
      | -{2,}\s*(?:original\ message|ursprüngliche\ nachricht|mensagem\ original
                  |wiadomość\ oryginalna|oryginalna\ wiadomość|forwarded\ message
                  |mensagem\ encaminhada)\s*-{2,}
      | _{10,}\s*$
      | (?:from|von|de|od)\s*:\s*.+?\s*$(?=\n\s*(?:sent|gesendet|enviad[ao]|wysłano|data|date)\s*:)
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)


def fold(text: str) -> str:
    """The new part of a message: quoted history and the signature folded away.

    Returns the whole text when folding would leave nothing (a bare forward, say), so the
    conversation never shows an empty message; the full text is always kept beside it.
    """
    cut = len(text)
    match = _QUOTE_HEADERS.search(text)
    if match:
        cut = match.start()
    signature = _SIGNATURE.search(text, 0, cut)
    if signature:
        cut = signature.start()
    head = text[:cut]
    lines = head.rstrip().split("\n")
    while lines and lines[-1].lstrip().startswith(">"):
        lines.pop()  # a trailing block of ">" quotes (bottom-posting keeps the inline ones)
    visible = "\n".join(lines).strip()
    return visible or text.strip()
