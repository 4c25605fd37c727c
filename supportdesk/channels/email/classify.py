"""What kind of mail this is, before it may open a case: the desk's own mail coming back, a
bounce, an abuse report, an auto-reply; and whether its From can be believed."""

import re

from supportdesk.channels.email.mime import ParsedMail
from supportdesk.channels.email.models import HoldReason, Mailbox, SenderCheck
from supportdesk.tickets.outbox import is_our_message_id

#: RFC 3834 and the de-facto headers of auto-responders (Exchange, Postfix vacation, ...).
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponse", "x-autoreply-from")
_BULK = frozenset({"bulk", "junk", "auto_reply", "list"})

#: Subjects of out-of-office and automatic replies, in the desk's languages and a few more.
_AUTO_SUBJECT = re.compile(
    r"""^\s*(?:
        out\ of\ (?:the\ )?office | auto(?:matic)?[\s_-]*(?:reply|response|answer)
      | autoreply | away\ from\ (?:the\ )?office | on\ vacation | vacation\ (?:reply|notice)
      | autoodpowied[źz] | automatyczna\ odpowied[źz] | odpowied[źz]\ automatyczna
      | poza\ biurem | nieobecno[śs][ćc]
      | resposta\ autom[áa]tica | ausente | fora\ do\ escrit[óo]rio | aus[êe]ncia
      | em\ f[ée]rias
      | abwesenheitsnotiz | automatische\ antwort | r[ée]ponse\ automatique
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery status notification|failure notice|delivery fail"
    r"|mail delivery failed|non[- ]?delivery|could not be delivered|delayed mail"
    r"|unzustellbar|niedostarczon|n[ãa]o (?:foi )?entregue",
    re.IGNORECASE,
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})


def is_auto_reply(parsed: ParsedMail) -> bool:
    submitted = parsed.header("auto-submitted").split(";", 1)[0].strip().lower()
    if submitted and submitted != "no":
        return True
    if any(parsed.has(name) for name in _AUTO_HEADERS):
        return True
    precedence = (parsed.header("precedence") or parsed.header("x-precedence")).strip().lower()
    if precedence in _BULK:
        return True
    return bool(_AUTO_SUBJECT.match(parsed.subject))


def is_bounce(parsed: ParsedMail) -> bool:
    if parsed.report_type in ("delivery-status", "global-delivery-status"):
        return True
    if parsed.report is not None and parsed.report.action:
        return True
    daemon = parsed.from_address.partition("@")[0] in _DAEMONS
    null_sender = parsed.header("return-path").strip() == "<>"
    return (daemon or null_sender) and (
        bool(_BOUNCE_SUBJECT.search(parsed.subject)) or (daemon and null_sender)
    )


def hold_reason(parsed: ParsedMail, our_addresses: set[str]) -> str:
    """Why this message must not open a case (a ``HoldReason``, or BOUNCE to be attached to
    the case whose mail bounced); empty for mail a person wrote."""
    loop_marks = {a.strip().lower() for a in parsed.headers.get("x-loop", [])}
    if (
        parsed.from_address in our_addresses
        or loop_marks & our_addresses
        or (parsed.message_id and is_our_message_id(parsed.message_id))
    ):
        return HoldReason.LOOP
    if is_bounce(parsed):
        return HoldReason.BOUNCE
    if parsed.report_type == "feedback-report":
        return HoldReason.COMPLAINT
    if parsed.report_type == "disposition-notification" or is_auto_reply(parsed):
        return HoldReason.AUTO_REPLY
    return ""


def sender_trusted(parsed: ParsedMail, mailbox: Mailbox | None, check: str) -> bool:
    """Whether the From address may identify a registered contact (and buy a guarantee):
    never when it failed its domain's policy; with a mailbox for verified senders only, just
    when it passed."""
    if parsed.from_defective or "@" not in parsed.from_address or check == SenderCheck.FAIL:
        return False
    if mailbox is not None and mailbox.trust_authentication_results:
        return check == SenderCheck.PASS
    return True
