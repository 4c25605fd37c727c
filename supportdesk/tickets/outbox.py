"""The outbox: mail is written in the same transaction as the change that causes it, and the
worker sends it over SMTP with retries and backoff. A failed send stays visible on the case."""

import hashlib
import hmac
import logging
import re
import secrets
import smtplib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Agent
from supportdesk.plans.models import Contract
from supportdesk.tickets.choices import EventKind, OutboxStatus
from supportdesk.tickets.events import event
from supportdesk.tickets.models import Case, Event, Message, OutboundMessage, SlaClock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8

#: RFC 3834: mail the desk writes by itself, so that well-behaved auto-responders stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}

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
):
    return OutboundMessage(
        case=case,
        to=to,
        subject=subject,
        body=body,
        headers={"Message-ID": make_message_id(case), **(headers or {})},
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


def queue_reply(case: Case, message: Message) -> OutboundMessage | None:
    """Send an agent's public reply to the requester, when the requester has an email address."""
    if "@" not in case.requester_address:
        return None
    subject = f"[{case.label}] {case.subject}"
    item = _message(
        case, case.requester_address, subject, message.body, message.at, thread_headers(case)
    )
    item.save()
    return item


def queue_breach_notices(clocks: Sequence[SlaClock], cases: dict[int, Case]) -> list[Event]:
    """Tell the assignee, the team and the technical account manager that a promise broke."""
    team_ids = {case.team_id for case in cases.values() if case.team_id}
    team_members: dict[int, set[str]] = {}
    agents = (
        Agent.objects.filter(teams__in=team_ids)
        .select_related("user")
        .prefetch_related("teams")
        .distinct()
    )
    for agent in agents:
        for team in agent.teams.all():
            team_members.setdefault(team.pk, set()).add(agent.user.email)
    managers = {
        contract.organization_id: contract.account_manager.email
        for contract in Contract.objects.filter(
            organization_id__in={c.organization_id for c in cases.values()},
            account_manager__isnull=False,
        ).select_related("account_manager")
    }
    mail, log_events = [], []
    for clock in clocks:
        case = cases[clock.case_id]
        recipients = set(team_members.get(case.team_id, ()))
        if case.assignee_id:
            recipients.add(case.assignee.email)
        if case.organization_id in managers:
            recipients.add(managers[case.organization_id])
        if not recipients:
            continue
        subject = _("SLA breached: %(case)s %(subject)s") % {
            "case": case.label,
            "subject": case.subject,
        }
        body = _("The %(rule)s promise on case %(case)s was due at %(due)s and was not met.") % {
            "rule": clock.rule,
            "case": case.label,
            "due": clock.due_at.isoformat(),
        }
        for to in sorted(recipients):
            mail.append(_message(case, to, subject, body, clock.breached_at, AUTOMATIC))
        log_events.append(
            event(case, EventKind.NOTIFIED, clock.breached_at, after=sorted(recipients))
        )
    OutboundMessage.objects.bulk_create(mail)
    return log_events


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 360))


def _permanent(exc: Exception) -> bool:
    """A 5xx answer for every recipient: retrying cannot help, so fail at once, visibly."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def send_pending(now: datetime | None = None, batch: int = 100) -> int:
    """Send what is due; returns how many were sent. Safe with several workers on PostgreSQL."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            OutboundMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)[:batch]
        )
        if not due:
            return 0
        connection = get_connection(fail_silently=False)
        for item in due:
            item.attempts += 1
            headers = dict(item.headers or {})
            sender = headers.pop("From", "") or settings.DEFAULT_FROM_EMAIL
            try:
                EmailMessage(
                    item.subject,
                    item.body,
                    sender,
                    [item.to],
                    headers=headers or None,
                    connection=connection,
                ).send()
            except Exception as exc:  # any transport failure is retried, never lost
                log.warning("sending outbound message %s failed: %s", item.pk, exc)
                item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if item.attempts >= MAX_ATTEMPTS or _permanent(exc):
                    item.status = OutboxStatus.FAILED
                else:
                    item.next_attempt_at = now + _backoff(item.attempts)
            else:
                item.status, item.sent_at, item.last_error = OutboxStatus.SENT, now, ""
                sent += 1
        OutboundMessage.objects.bulk_update(
            due, ["attempts", "status", "sent_at", "last_error", "next_attempt_at"]
        )
    return sent
