"""Mail the channel writes: acknowledgements of new cases in the contact's language and time
zone, the threading headers of every reply, so customers' clients keep one conversation, and
the reply as the customer receives it: its files attached (or, above the size a mail may carry,
a signed link that expires) and the way to the case in the portal."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from supportdesk.channels.email.mime import ParsedMail
from supportdesk.channels.email.models import BouncedAddress, InboundEmail, IntakeStatus, Mailbox
from supportdesk.plans.choices import Metric
from supportdesk.plans.entitlements import who_may
from supportdesk.tickets import outbox
from supportdesk.tickets.choices import CHANNEL_WAYS, Channel, Coverage
from supportdesk.tickets.models import Attachment, Case, OutboundMessage

#: How many earlier Message-IDs a reply lists in References (the first one and the latest).
MAX_REFERENCES = 10


def sender_for(case: Case) -> str:
    """Answer from the support address the customer wrote to (the default one for strangers)."""
    mailbox = None
    if case.channel == Channel.EMAIL and case.received_via:
        mailbox = Mailbox.objects.filter(address=case.received_via.lower()).first()
    if mailbox is None:
        mailbox = Mailbox.objects.filter(is_default=True).first()
    if mailbox is None:
        return ""
    return f"{mailbox.name} <{mailbox.address}>" if mailbox.name else mailbox.address


def thread_headers(case: Case) -> dict[str, str]:
    """In-Reply-To and References for mail about ``case``: its customer mail and our own."""
    inbound = list(
        InboundEmail.objects.filter(case=case, status__in=(IntakeStatus.NEW, IntakeStatus.JOINED))
        .exclude(message_id="")
        .order_by("received_at", "id")
        .values_list("message_id", flat=True)
    )
    ours = [
        h.get("Message-ID", "")
        for h in OutboundMessage.objects.filter(
            case=case, channel=Channel.EMAIL, to=case.requester_address
        )
        .order_by("-created_at", "-id")
        .values_list("headers", flat=True)[:3]
    ]
    ours = [h for h in reversed(ours) if h]
    headers: dict[str, str] = {}
    sender = sender_for(case)
    if sender:
        headers["From"] = sender
    if inbound:
        chain = [f"<{inbound[0]}>", *ours]
        chain += [f"<{i}>" for i in inbound[-(MAX_REFERENCES - len(chain)) :]]
        headers["In-Reply-To"] = f"<{inbound[-1]}>"
        headers["References"] = " ".join(dict.fromkeys(chain))
    elif ours:  # a case opened in the portal: the thread is our own mail to the customer
        headers["In-Reply-To"] = ours[-1]
        headers["References"] = " ".join(ours)
    return headers


def _language(case: Case, hint: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    contact = case.contact
    for candidate in (
        contact.language if contact else "",
        contact.user.language if contact and contact.user else "",
        hint,
    ):
        code = (candidate or "").strip().lower().split("-")[0].split("_")[0]
        if code in codes:
            return code
    return settings.LANGUAGE_CODE


def _timezone(case: Case) -> ZoneInfo:
    """The contact's own zone, else the zone of the hours the case's clocks count."""
    contact = case.contact
    if contact is not None and contact.user is not None and contact.user.timezone != "UTC":
        try:
            return ZoneInfo(contact.user.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if case.plan is not None:
        clock = case.clocks.exclude(calendar=None).select_related("calendar").first()
        calendar = clock.calendar if clock is not None else None
        return ZoneInfo((calendar or case.plan.calendar).timezone)
    return ZoneInfo("UTC")


def _promise(case: Case) -> str:
    clock = case.clocks.filter(metric=Metric.FIRST_RESPONSE).first()
    if clock is None or clock.due_at is None:
        return _("We will answer as soon as we can.")
    zone = _timezone(case)
    local: datetime = clock.due_at.astimezone(zone)
    when = f"{formats.date_format(local, 'DATE_FORMAT')} {local:%H:%M} ({zone.key})"
    if clock.guaranteed and case.covered:
        return _("Under your support plan we will answer by %(when)s.") % {"when": when}
    return _("We expect to answer by %(when)s.") % {"when": when}


def _not_entitled_advice(case: Case) -> str:
    """What a requester whose role is outside the plan's matrix can do: whom to ask."""
    contact = case.contact
    colleagues = who_may(case.plan, contact, CHANNEL_WAYS[case.channel]) if contact else []
    if not colleagues:
        return _(
            "We will still answer it. Your organization's administrator can tell you how to "
            "get support under your plan."
        )
    return _(
        "We will still answer it. For support under your plan, ask one of these people in "
        "your organization, whose role includes it: %(people)s."
    ) % {"people": ", ".join(str(c) for c in colleagues)}


def acknowledgement_text(case: Case, language: str) -> tuple[str, str]:
    """(subject, body) of the acknowledgement, in ``language``."""
    with translation.override(language):
        name = case.contact.name if case.contact else ""
        greeting = _("Hello %(name)s,") % {"name": name} if name else _("Hello,")
        lines = [
            greeting,
            "",
            _("we have received your message and opened case %(case)s: %(subject)s")
            % {"case": case.label, "subject": case.subject},
            "",
            _promise(case),
        ]
        if not case.covered:
            lines += [
                "",
                _("This case carries no guaranteed response time: %(reason)s.")
                % {"reason": case.coverage_reason},
            ]
            if case.coverage_code == Coverage.NOT_ENTITLED:
                lines += ["", _not_entitled_advice(case)]
        lines += [
            "",
            _("To add to this case, reply to this message or keep %(case)s in the subject.")
            % {"case": case.label},
        ]
        link = portal_link(case)
        if link:
            lines += [_("You can also follow it in the portal: %(link)s") % {"link": link}]
        lines += ["", _("This message was sent automatically.")]
        if case.brand is not None:
            lines += ["", _("%(brand)s support") % {"brand": case.brand.name_in(language)}]
        subject = _("[%(case)s] Received: %(subject)s") % {
            "case": case.label,
            "subject": case.subject,
        }
    return subject, "\n".join(lines)


def acknowledge(
    case: Case, *, answering: ParsedMail, mailbox: Mailbox | None, at: datetime
) -> OutboundMessage | None:
    """Queue the acknowledgement of a new case, unless its address is known to bounce."""
    to = case.requester_address
    if "@" not in to:
        return None
    if BouncedAddress.objects.filter(address=to.lower(), permanent=True).exists():
        return None
    headers = {}
    if mailbox is not None:
        headers["From"] = f"{mailbox.name} <{mailbox.address}>" if mailbox.name else mailbox.address
    if answering.message_id:
        headers["In-Reply-To"] = f"<{answering.message_id}>"
        chain = [*answering.references[-(MAX_REFERENCES - 1) :], answering.message_id]
        headers["References"] = " ".join(f"<{i}>" for i in dict.fromkeys(chain))
    language = _language(case, answering.header("content-language"))
    subject, body = acknowledgement_text(case, language)
    return outbox.queue(
        case, to=to, subject=subject, body=body, at=at, headers=headers, automatic=True
    )


# ------------------------------------------------------------------------- a reply, whole

#: What a signed file link is signed for, so no other signature of the desk passes for one.
_FILE_LINK_SALT = "supportdesk.email.reply-file"


def portal_link(case: Case) -> str:
    """The case's page in the portal, for a requester who can sign in to read it there."""
    contact = case.contact
    if contact is None or contact.user_id is None:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse("my_case", args=[case.pk])


def file_token(attachment: Attachment) -> str:
    """A token that downloads this one file, until ``MAIL_FILE_LINK_DAYS`` have passed."""
    return signing.dumps(attachment.pk, salt=_FILE_LINK_SALT, compress=True)


class LinkExpired(Exception):
    """The link was ours and named its file, but its time is over."""


def file_from_token(token: str) -> Attachment | None:
    """The file a link names; None for a link that is not ours (or altered); ``LinkExpired``
    for one of ours past its time."""
    max_age = timedelta(days=settings.MAIL_FILE_LINK_DAYS)
    try:
        pk = signing.loads(token, salt=_FILE_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        return None
    return Attachment.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def file_link(attachment: Attachment) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "email_reply_file", args=[file_token(attachment)]
    )


def _split_by_size(files: list[Attachment]) -> tuple[list[Attachment], list[Attachment]]:
    """(files the mail carries, files sent as links): in their order, as long as the mail
    stays within ``MAIL_REPLY_ATTACHMENT_BYTES``; the rest by link."""
    carried, linked, total = [], [], 0
    for attachment in files:
        if total + attachment.size <= settings.MAIL_REPLY_ATTACHMENT_BYTES:
            carried.append(attachment)
            total += attachment.size
        else:
            linked.append(attachment)
    return carried, linked


def _reply_footer(case: Case, linked: list[Attachment]) -> list[str]:
    """The lines under an agent's reply, in the requester's language: links to the files too
    large to attach, and the way to the case in the portal."""
    with translation.override(_language(case, "")):
        lines: list[str] = []
        if linked:
            days = settings.MAIL_FILE_LINK_DAYS
            lines += [
                "",
                _("Files too large to attach; each link works for %(days)s days:") % {"days": days},
            ]
            lines += [f"- {a.name} ({filesizeformat(a.size)}): {file_link(a)}" for a in linked]
        link = portal_link(case)
        lines += ["", "-- "]
        lines += [_("Case %(case)s: %(subject)s") % {"case": case.label, "subject": case.subject}]
        if link:
            lines += [_("See the whole case in the portal: %(link)s") % {"link": link}]
        lines += [_("To answer, reply to this message.")]
    return lines


def _mimetype(content_type: str) -> str | None:
    """The type a stored file is sent as, without parameters; None: guessed from its name."""
    bare = content_type.split(";", 1)[0].strip().lower()
    return bare if bare.count("/") == 1 and " " not in bare else None


def compose(item: OutboundMessage) -> EmailMessage:
    """The mail as it goes out: an agent's reply with its files (attached, or linked when too
    large) and the case's portal link; any other mail as queued."""
    headers = dict(item.headers or {})
    sender = headers.pop("From", "") or settings.DEFAULT_FROM_EMAIL
    mail = EmailMessage(item.subject, item.body, sender, [item.to], headers=headers or None)
    message, case = item.message, item.case
    if message is None or case is None:
        return mail
    carried, linked = _split_by_size(list(message.attachments.order_by("id")))
    mail.body = "\n".join([item.body.rstrip("\n"), *_reply_footer(case, linked)]) + "\n"
    for attachment in carried:
        with attachment.file.open("rb") as stored:
            content = stored.read()
        mail.attach(attachment.name, content, _mimetype(attachment.content_type))
    return mail
