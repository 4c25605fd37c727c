"""The shared corpus of real-world mail (other projects' test suites, ../shared/mail-corpus):
every message lands as a case, or joins one, or is held because it is automatic mail; none
raises. Where Zammad's tests give expected values, subject, sender and body must agree."""

import re
from pathlib import Path

import pytest
import yaml

from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.mime import parse
from supportdesk.channels.email.models import HoldReason, InboundEmail
from supportdesk.channels.email.text import html_to_text
from supportdesk.tickets.models import Case

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "mail-corpus"
NOT_MESSAGES = {"SOURCE.txt", "COPYING", "README.md"}


def _messages() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix not in (".yml", ".json") and p.name not in NOT_MESSAGES
    )


MESSAGES = _messages()
needs_corpus = pytest.mark.skipif(
    not MESSAGES, reason=f"mail corpus not found at {CORPUS}: corpus tests skipped"
)

#: Corpus messages that are automatic mail, and why they are held rather than opening a case.
HELD = {
    # bounces of mail the desk never sent (no Message-ID of ours in them)
    **dict.fromkeys(
        [
            "flanker/bounce/broken-mime.eml",
            "flanker/bounce/delayed-broken.eml",
            "flanker/bounce/delayed.eml",
            "flanker/bounce/gmail-invalid-address.eml",
            "flanker/bounce/gmail-no-dns.eml",
            "flanker/bounce/mailbox-full.eml",
            "flanker/bounce/no-mx.eml",
            "flanker/bounce/office365.eml",
            "flanker/bounce/zed.eml",
            "rt/multipart-report",
            "spamscope/mail_malformed_2",
            "zammad/mail018.box",
            "zammad/mail033-undelivered-mail-returned-to-sender.box",
            "zammad/mail052.box",
            "zammad/mail053.box",
            "zammad/mail055.box",
            "zammad/mail063.box",
            "zammad/mail078.box",
            "zammad/mail092.box",
        ],
        HoldReason.BOUNCE,
    ),
    # spam complaints (ARF feedback reports)
    "flanker/complaints/aol.eml": HoldReason.COMPLAINT,
    "flanker/complaints/yahoo.eml": HoldReason.COMPLAINT,
    # automatic mail: a read receipt, Precedence bulk/list/junk (mailing lists, newsletters,
    # GTUBE spam), Auto-Submitted: auto-generated (another help desk's notifications)
    **dict.fromkeys(
        [
            "flanker/disposition-notification.eml",
            "flanker/apache-message-news-mime.eml",
            "flanker/from-encoding.eml",
            "flanker/message-external-body.eml",
            "rt/8859-15-message-series/dir",
            "spamscope/mail_test_16",
            "spamscope/mail_test_5",
            "stalwart-mail-parser/thirdparty/014.eml",
            "zammad/mail043.box",
            "zammad/mail089.box",
            "zammad/mail090.box",
        ],
        HoldReason.AUTO_REPLY,
    ),
}


@needs_corpus
@pytest.mark.django_db
@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_message_lands(path, mailboxes):
    name = str(path.relative_to(CORPUS))
    outcome = receive(path.read_bytes())
    email = InboundEmail.objects.get(pk=outcome.message)
    assert outcome.status != "review", email.error
    if outcome.status == "held":
        assert outcome.case is None
        assert HELD.get(name) == email.hold_reason, f"held as {email.hold_reason}"
    else:
        assert name not in HELD, f"expected to be held as {HELD.get(name)}"
        assert outcome.status == "new" and Case.objects.filter(pk=outcome.case).exists()


def test_corpus_is_complete():
    if not MESSAGES:
        pytest.skip(f"mail corpus not found at {CORPUS}")
    assert len(MESSAGES) >= 325


# --- Zammad's expected values -------------------------------------------------------------


class _RubyLoader(yaml.SafeLoader):
    """Zammad's .yml files are Ruby-tagged YAML: read every tagged node as plain data."""


def _ruby(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_RubyLoader.add_multi_constructor("!ruby/", _ruby)
_RubyLoader.add_multi_constructor("!binary", lambda loader, suffix, node: "")

EXPECTATIONS = sorted(CORPUS.glob("zammad*/*.yml")) if CORPUS.is_dir() else []

#: Where Zammad's expectation is its own quirk and ours is right, say so instead of matching.
ZAMMAD_DIFFERS = {
    ("mail018.yml", "subject"): "Zammad leaves UTF-7 undecoded; we decode it",
    ("mail018.yml", "body"): "Zammad leaves UTF-7 undecoded; we decode it",
    ("mail046.yml", "from_display_name"): "Zammad garbles GB2312 8-bit; we read Chinese",
    ("mail076.yml", "from_email"): "Zammad keeps a stray '>' of a broken address",
    ("mail076.yml", "from_display_name"): "Zammad keeps a stray '>' of a broken address",
    ("mail087.yml", "from_display_name"): "'From: Test test@example.com' has no display name",
    ("mail092.yml", "from_display_name"): "we keep the comment of 'MAILER-DAEMON (comment)'",
    ("mail117.yml", "from_email"): "a spoofed local part: checked as untrusted below",
}


def _norm(value: object) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _tokens(text: str) -> list[str]:
    """Words, with CJK text split into characters (it has no spaces between words)."""
    out: list[str] = []
    for word in re.findall(r"\w+", text.lower()):
        if re.search(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]", word):
            out += list(word)
        else:
            out.append(word)
    return out


@needs_corpus
@pytest.mark.parametrize("expected_path", EXPECTATIONS, ids=lambda p: p.name)
def test_zammad_expectations(expected_path):
    expected = yaml.load(expected_path.read_text(errors="replace"), Loader=_RubyLoader)
    parsed = parse(expected_path.with_suffix(".box").read_bytes())
    name = expected_path.name

    def check(field: str, want: object, have: str) -> None:
        if (name, field) in ZAMMAD_DIFFERS:
            return
        assert _norm(want) == _norm(have), field

    if "subject" in expected:
        check("subject", expected["subject"], parsed.subject)
    if expected.get("from_email"):
        sender = parsed.from_address or parsed.reply_to
        if not parsed.from_address or "@" not in parsed.from_address:
            sender = parsed.reply_to or parsed.from_address
        check("from_email", str(expected["from_email"]).lower(), sender)
    if "from_display_name" in expected and parsed.from_address:
        check("from_display_name", expected["from_display_name"], parsed.from_name)
    body = expected.get("body")
    if body and body != "no visible content" and (name, "body") not in ZAMMAD_DIFFERS:
        text = html_to_text(body) if "<" in body else body
        want = _tokens(text)[:40]
        have = set(_tokens(parsed.text + " " + html_to_text(parsed.html)))
        found = sum(token in have for token in want) / len(want) if want else 1
        assert found >= 0.8, f"body: {found:.0%} of {' '.join(want)!r}"
    if name == "mail117.yml":
        assert parsed.from_defective and parsed.from_address != "agent@victim.example"
