"""The outbox: mail and text messages are written in the same transaction as the change that
causes them; each channel's sender (``channels.email.sending`` for mail, ``channels.sms.sending``
for SMS and WhatsApp) sends them with retries and backoff. A failed send stays visible on the
case.

Senders share how a message is taken and settled. A claim is a conditional UPDATE that moves
the message's next attempt a lease into the future and counts the attempt: a second sender
finds it not due and passes over it, and if the sender dies mid-send the message falls due
again when the lease ends. The outcome is written in a short transaction of its own: sent,
retried later with backoff, or failed for good. A sender killed between the answer and that
write sends one message twice; none is lost.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from supportdesk.accounts.middleware import showing
from supportdesk.accounts.models import Agent, User
from supportdesk.db import writing
from supportdesk.plans.models import Contract
from supportdesk.plans.zones import zone_for
from supportdesk.tickets import display, events
from supportdesk.tickets.choices import Channel, OutboxStatus
from supportdesk.tickets.models import Case, Event, Message, OutboundMessage, SlaClock

#: RFC 3834: mail the desk writes by itself, so that well-behaved auto-responders stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}

#: Channels whose replies go back the way the customer wrote: a text through the carrier.
TEXT_CHANNELS = (Channel.SMS, Channel.WHATSAPP)

#: After this many attempts a message fails for good, visibly on its case.
MAX_ATTEMPTS = 8

#: How many due messages one look at the outbox reads; each is still claimed on its own.
CANDIDATES = 50

_OUR_ID = re.compile(r"^sd-(\d+)-([0-9a-f]{12})-([0-9a-f]{16})@", re.ASCII)

#: Functions that add threading headers (In-Reply-To, References, From) to a case's mail; the
#: email channel registers one, so this module needs to know nothing about inbound mail.
_thread_hooks: list[Callable[[Case], dict[str, str]]] = []


def register_thread_hook(hook: Callable[[Case], dict[str, str]]) -> None:
    if hook not in _thread_hooks:
        _thread_hooks.append(hook)


def _signature(case_id: int, nonce: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{case_id}-{nonce}".encode(), hashlib.sha256).hexdigest()[:16]


def message_id_domain() -> str:
    return (
        getattr(settings, "MAIL_MESSAGE_ID_DOMAIN", "")
        or settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ")
        or "supportdesk.invalid"
    )


def make_message_id(case: Case | None) -> str:
    """A Message-ID that names its case and is signed, so a reply threads without a lookup
    and a forged reference cannot join a stranger's case."""
    case_id = case.pk if case is not None else 0
    nonce = secrets.token_hex(6)
    return f"<sd-{case_id}-{nonce}-{_signature(case_id, nonce)}@{message_id_domain()}>"


def case_id_from_message_id(message_id: str) -> int | None:
    """The case a Message-ID of ours names, if the signature holds; None for anyone else's."""
    match = _OUR_ID.match(message_id.strip().strip("<>"))
    if match is None:
        return None
    case_id, nonce, signature = int(match[1]), match[2], match[3]
    if not hmac.compare_digest(signature, _signature(case_id, nonce)):
        return None
    return case_id or None


def is_our_message_id(message_id: str) -> bool:
    match = _OUR_ID.match(message_id.strip().strip("<>"))
    return match is not None and hmac.compare_digest(match[3], _signature(int(match[1]), match[2]))


def thread_headers(case: Case | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if case is not None:
        for hook in _thread_hooks:
            headers.update(hook(case))
    return headers


def _message(
    case: Case | None,
    to: str,
    subject: str,
    body: str,
    at: datetime,
    headers: dict[str, str] | None = None,
    channel: str = Channel.EMAIL,
):
    message_id = {"Message-ID": make_message_id(case)} if channel == Channel.EMAIL else {}
    return OutboundMessage(
        case=case,
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        headers={**message_id, **(headers or {})},
        status=OutboxStatus.PENDING,
        next_attempt_at=at,
        created_at=at,
    )


def queue(
    case: Case | None,
    *,
    to: str,
    subject: str,
    body: str,
    at: datetime,
    headers: dict[str, str] | None = None,
    automatic: bool = False,
) -> OutboundMessage:
    """Queue one mail (e.g. an acknowledgement), sent by the worker with retries."""
    extra = {**(AUTOMATIC if automatic else {}), **(headers or {})}
    item = _message(case, to, subject, body, at, extra)
    item.save()
    return item


def queue_text(case: Case | None, *, to: str, body: str, at: datetime) -> OutboundMessage:
    """Queue one SMS to an E.164 number (e.g. a link to act on), sent through the carrier from
    the desk's number (``SMS_FROM``) with retries."""
    item = _message(case, to, "", body, at, channel=Channel.SMS)
    item.save()
    return item


def queue_reply(case: Case, message: Message) -> OutboundMessage | None:
    """Send an agent's public reply to the requester: as a text to the number of an SMS or
    WhatsApp case (from the desk's number it came to), else by mail when there is an address."""
    subject = f"[{case.label}] {case.subject}"
    if case.channel in TEXT_CHANNELS:
        if not case.requester_address or "@" in case.requester_address:
            return None
        sender = {"From": case.received_via} if case.received_via else {}
        item = _message(
            case, case.requester_address, subject, message.body, message.at, sender, case.channel
        )
    elif "@" in case.requester_address:
        item = _message(
            case, case.requester_address, subject, message.body, message.at, thread_headers(case)
        )
        item.message = message  # its files go with the mail
    else:
        return None
    item.save()
    return item


def queue_breach_notices(clocks: Sequence[SlaClock], cases: dict[int, Case]) -> list[Event]:
    """Tell the assignee, the team and the technical account manager that a promise broke,
    each in their own language, with the due time in their own zone."""
    team_ids = {case.team_id for case in cases.values() if case.team_id}
    team_members: dict[int | None, dict[str, User]] = {}
    agents = (
        Agent.objects.filter(teams__in=team_ids)
        .select_related("user")
        .prefetch_related("teams")
        .distinct()
    )
    for agent in agents:
        for team in agent.teams.all():
            team_members.setdefault(team.pk, {})[agent.user.email] = agent.user
    managers = {
        contract.organization_id: contract.account_manager
        for contract in Contract.objects.filter(
            organization_id__in={c.organization_id for c in cases.values()},
            account_manager__isnull=False,
        ).select_related("account_manager")
        if contract.account_manager is not None
    }
    zones: dict[int, ZoneInfo] = {}
    mail, log_events = [], []
    for clock in clocks:
        due_at, breached_at = clock.due_at, clock.breached_at
        if due_at is None or breached_at is None:  # not breached: nothing to tell
            continue
        case = cases[clock.case_id]
        recipients = dict(team_members.get(case.team_id, {}))
        if case.assignee is not None:
            recipients[case.assignee.email] = case.assignee
        if case.organization_id in managers:
            manager = managers[case.organization_id]
            recipients[manager.email] = manager
        if not recipients:
            continue
        for to, user in sorted(recipients.items()):
            if user.pk not in zones:
                zones[user.pk] = zone_for(user, breached_at)
            subject, body = _breach_notice(clock, case, user, zones[user.pk])
            mail.append(_message(case, to, subject, body, breached_at, AUTOMATIC))
        log_events.append(events.notified(case, breached_at, recipients=set(recipients)))
    OutboundMessage.objects.bulk_create(mail)
    return log_events


def _breach_notice(clock: SlaClock, case: Case, user: User, zone: ZoneInfo) -> tuple[str, str]:
    """Subject and body of a breach notice as ``user`` reads them: their language, their zone
    (named, since a mail is read wherever its reader is)."""
    with translation.override(user.language or settings.LANGUAGE_CODE), showing(zone, None):
        subject = _("SLA breached: %(case)s %(subject)s") % {
            "case": case.label,
            "subject": case.subject,
        }
        body = _("The promise on case %(case)s (%(rule)s) was due %(due)s and was not met.") % {
            "rule": display.rule_text(clock),
            "case": case.label,
            "due": display.full_time(clock.due_at or clock.started_at),
        }
    return subject, body


# ------------------------------------------------------------------------- senders' side


def due(channels: Iterable[str], now: datetime):
    """The messages of these channels waiting to be sent at ``now``."""
    return OutboundMessage.objects.filter(
        channel__in=list(channels), status=OutboxStatus.PENDING, next_attempt_at__lte=now
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 360))


def record(
    item: OutboundMessage, now: datetime, error: Exception | None, permanent: bool = False
) -> None:
    """Settle a claimed message: sent, due again after its backoff, or failed for good."""
    if error is None:
        item.status, item.sent_at, item.last_error = OutboxStatus.SENT, now, ""
    else:
        item.last_error = f"{type(error).__name__}: {error}"[:2000]
        if item.attempts >= MAX_ATTEMPTS or permanent:
            item.status = OutboxStatus.FAILED
        else:
            item.next_attempt_at = now + backoff(item.attempts)
    with writing():  # an update, not a save: the case (and its mail) may have gone meanwhile
        OutboundMessage.objects.filter(pk=item.pk).update(
            status=item.status,
            sent_at=item.sent_at,
            last_error=item.last_error,
            next_attempt_at=item.next_attempt_at,
        )
