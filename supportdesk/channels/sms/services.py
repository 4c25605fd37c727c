"""Text messages: what the carrier posts becomes or joins a case, and "text me this link".

A text is stored as the carrier posted it before anything else, keyed by its ``MessageSid``:
the carrier retrying finds the text it already stored and changes nothing twice, and a text
the desk could not put on a case (a locked database, a bug) is finished by the worker. A
sender's texts on one channel within a day of each other are one conversation, one case;
SMS and WhatsApp carry no guarantee under any plan (the core knows), so their cases have no
clock.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers
from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from supportdesk.accounts.services import InvalidAddress, find_contact, normalize_phone
from supportdesk.channels import carrier_api
from supportdesk.channels.sms.models import InboundText, TextedNumber
from supportdesk.db import writing
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import OPEN_STATUSES, Channel
from supportdesk.tickets.models import Case

log = logging.getLogger(__name__)

#: Texts from one sender this close together are one conversation, on one case.
CONVERSATION = timedelta(hours=24)

#: At most one link a number in this time.
TEXT_ME_INTERVAL = timedelta(minutes=1)

#: The carrier sends at most this many media files with one message.
MAX_MEDIA = 10

#: The kinds of number the desk will text: a mobile, or a number that may be one.
MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


# ------------------------------------------------------------------------- texts coming in


def _number(value: str) -> str:
    """E.164 when it is a phone number; a short code or a name as the carrier wrote it."""
    try:
        return normalize_phone(value)
    except InvalidAddress:
        return value.strip()[:64]


def _sender(value: str) -> tuple[str, str]:
    """The channel and the number: ``whatsapp:+48...`` is WhatsApp."""
    if value.strip().lower().startswith(carrier_api.WHATSAPP):
        return Channel.WHATSAPP, _number(value.strip()[len(carrier_api.WHATSAPP) :])
    return Channel.SMS, _number(value)


def store(url: str, params: dict[str, str], at: datetime) -> InboundText:
    """Keep the text as the carrier posted it before acting on it; the carrier retrying gets
    the text it stored the first time."""
    channel, number = _sender(params.get("From", ""))
    _channel, to = _sender(params.get("To", ""))
    with writing():
        text, _created = InboundText.objects.get_or_create(
            sid=params["MessageSid"][:64],
            defaults={
                "channel": channel,
                "from_number": number,
                "to_number": to,
                "url": url[:500],
                "params": params,
                "received_at": at,
            },
        )
    return text


def _media_count(params: dict[str, str]) -> int:
    value = params.get("NumMedia", "")
    return min(int(value), MAX_MEDIA) if value.isdigit() else 0


def _body(params: dict[str, str]) -> str:
    """The words, then a link to each picture or file (the carrier keeps the files)."""
    media = [params.get(f"MediaUrl{i}", "") for i in range(_media_count(params))]
    parts = [params.get("Body", "").strip(), "\n".join(url for url in media if url)]
    return "\n\n".join(part for part in parts if part)


def _subject(text: InboundText) -> str:
    first_line = text.params.get("Body", "").strip().split("\n", 1)[0]
    if first_line:
        return Truncator(first_line).chars(80)
    if text.channel == Channel.WHATSAPP:
        return _("WhatsApp message from %(number)s") % {"number": text.from_number}
    return _("SMS from %(number)s") % {"number": text.from_number}


def _conversation(text: InboundText) -> Case | None:
    """The sender's open case of this channel that they texted within the last day."""
    earlier = (
        InboundText.objects.filter(
            from_number=text.from_number,
            channel=text.channel,
            received_at__gte=text.received_at - CONVERSATION,
            received_at__lte=text.received_at,
            case__status__in=OPEN_STATUSES,
        )
        .exclude(pk=text.pk)
        .select_related("case")
        .order_by("-received_at", "-pk")
        .first()
    )
    return earlier.case if earlier is not None else None


def handle(text: InboundText, now: datetime | None = None) -> InboundText:
    """Put a stored text on its case: the conversation's, or a new one. Done once only."""
    with writing():
        text = InboundText.objects.select_for_update().get(pk=text.pk)
        if text.done_at is not None:
            return text
        body = _body(text.params)
        case = _conversation(text)
        if case is not None:
            cases.add_customer_message(
                case, body=body, contact=case.contact, sender=text.from_number, at=text.received_at
            )
        else:
            contact = find_contact(text.from_number)
            language = contact.language if contact and contact.language else None
            with translation.override(language or settings.LANGUAGE_CODE):
                subject = _subject(text)
            case = cases.open_case(
                subject=subject,
                body=body,
                channel=text.channel,
                contact=contact,
                sender=text.from_number,
                received_via=text.to_number,
                at=text.received_at,
                identify_sender=False,
            )
        text.case, text.done_at, text.error = case, now or timezone.now(), ""
        text.save(update_fields=["case", "done_at", "error"])
    return text


def receive(url: str, params: dict[str, str], at: datetime) -> InboundText:
    """The carrier's webhook: store, then act; a failure is kept on the text for the worker."""
    text = store(url, params, at)
    try:
        return handle(text)
    except Exception as error:
        log.exception("text %s could not be put on a case; kept for the worker", text.sid)
        InboundText.objects.filter(pk=text.pk).update(error=repr(error)[:2000])
        return text


def finish_pending(limit: int = 100) -> int:
    """The worker's part: put on a case the stored texts no request could (oldest first)."""
    done = 0
    for text in InboundText.objects.filter(done_at__isnull=True).order_by("received_at")[:limit]:
        try:
            handle(text)
        except Exception as error:  # kept on the text for a person to see
            InboundText.objects.filter(pk=text.pk).update(error=repr(error)[:2000])
        else:
            done += 1
    return done


# ------------------------------------------------------------------------- "text me this link"


class Refusal(StrEnum):
    """Why a link was not texted."""

    NOT_MOBILE = "not_mobile"
    TOO_SOON = "too_soon"
    CARRIER = "carrier"  # refused or unreachable
    NO_SENDER = "no_sender"  # the desk has no number to text from (SMS_FROM)


@dataclass
class TextRefused(Exception):
    """The link was not sent; ``message`` tells the visitor why, in their language."""

    code: Refusal
    message: str
    wait_seconds: int = 0


def mobile_number(value: str) -> str:
    """The number in E.164, if it is a valid number that can receive texts."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in MOBILE
    ):
        raise TextRefused(
            Refusal.NOT_MOBILE,
            _(
                "%(number)s is not a mobile number. Enter it in international form, "
                "for example +48 501 234 567."
            )
            % {"number": value.strip()},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _take_turn(number: str, at: datetime) -> int:
    """Book this minute's text for the number: 0 if booked, else the seconds left to wait."""
    with writing():
        row, created = TextedNumber.objects.select_for_update().get_or_create(
            number=number, defaults={"sent_at": at}
        )
        if created:
            return 0
        wait = row.sent_at + TEXT_ME_INTERVAL - at
        if wait > timedelta(0):
            return math.ceil(wait.total_seconds())
        row.sent_at = at
        row.save(update_fields=["sent_at"])
    return 0


def _give_back_turn(number: str, at: datetime) -> None:
    """Nothing was sent: the visitor may try again at once."""
    with writing():
        TextedNumber.objects.filter(number=number, sent_at=at).update(sent_at=at - TEXT_ME_INTERVAL)


def can_text() -> bool:
    return bool(settings.SMS_FROM)


def text_link(phone: str, link: str, *, at: datetime | None = None) -> str:
    """Text ``link`` to a mobile number, at most once a minute per number; returns the number
    in E.164. Raises ``TextRefused`` with the reason in the active language."""
    at = at or timezone.now()
    if not can_text():
        raise TextRefused(Refusal.NO_SENDER, _("The SMS could not be sent, try again."))
    number = mobile_number(phone)
    wait = _take_turn(number, at)
    if wait:
        raise TextRefused(
            Refusal.TOO_SOON,
            _("Wait %(seconds)s s before asking again.") % {"seconds": wait},
            wait,
        )
    body = _("Here is the link you asked for: %(link)s") % {"link": link}
    try:  # outside any transaction: the carrier may be slow
        carrier_api.send_message(to=number, sender=settings.SMS_FROM, body=body)
    except carrier_api.CarrierError as error:
        log.warning("texting a link to %s failed: %s", number, error)
        _give_back_turn(number, at)
        raise TextRefused(Refusal.CARRIER, _("The SMS could not be sent, try again.")) from error
    return number
