"""Mail the channel writes: acknowledgements of new cases in the contact's language and time
zone, and the threading headers of every reply, so customers' clients keep one conversation."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from supportdesk.channels.email.mime import ParsedMail
from supportdesk.channels.email.models import BouncedAddress, InboundEmail, IntakeStatus, Mailbox
from supportdesk.plans.choices import Metric
from supportdesk.plans.entitlements import who_may
from supportdesk.tickets import outbox
from supportdesk.tickets.choices import CHANNEL_WAYS, Channel, Coverage
from supportdesk.tickets.models import Case, OutboundMessage

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
        for h in OutboundMessage.objects.filter(case=case)
        .order_by("-created_at", "-id")
        .values_list("headers", flat=True)[:3]
    ]
    headers: dict[str, str] = {}
    sender = sender_for(case)
    if sender:
        headers["From"] = sender
    if inbound:
        chain = [f"<{inbound[0]}>", *(h for h in reversed(ours) if h)]
        chain += [f"<{i}>" for i in inbound[-(MAX_REFERENCES - len(chain)) :]]
        headers["In-Reply-To"] = f"<{inbound[-1]}>"
        headers["References"] = " ".join(dict.fromkeys(chain))
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
            "",
            _("This message was sent automatically."),
        ]
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
