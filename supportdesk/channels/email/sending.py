"""Sending the outbox's mail over SMTP: each message is claimed, sent outside any transaction,
and its outcome recorded, so a slow mail server never keeps a customer's new case waiting.

Claims and outcomes are the outbox's (``tickets.outbox``: a conditional UPDATE with a lease of
``MAIL_SEND_LEASE_SECONDS``, then sent, retried with backoff, or failed visibly on the case).
"""

import contextlib
import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from supportdesk.channels.email import outgoing
from supportdesk.db import claim_for_sending
from supportdesk.tickets import outbox
from supportdesk.tickets.choices import Channel
from supportdesk.tickets.models import OutboundMessage
from supportdesk.tickets.outbox import MAX_ATTEMPTS as MAX_ATTEMPTS  # how many tries, for callers

log = logging.getLogger(__name__)


def _permanent(exc: Exception) -> bool:
    """A 5xx answer for every recipient: retrying cannot help, so fail at once, visibly."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _claim(item: OutboundMessage, now: datetime) -> bool:
    return claim_for_sending(item, now, timedelta(seconds=settings.MAIL_SEND_LEASE_SECONDS))


def _transmit(item: OutboundMessage, connection: BaseEmailBackend) -> None:
    mail = outgoing.compose(item)
    mail.connection = connection
    mail.send()


def _hang_up(connection: BaseEmailBackend) -> None:
    """Close the connection; a server that is already gone cannot make this fail."""
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.close()


def send_pending(now: datetime | None = None) -> int:
    """Send everything that is due, one claimed message at a time, until nothing due is left;
    returns how many were sent. Safe with any number of senders at once.

    ``now`` fixes the clock (tests); without it each look at the outbox reads the time anew,
    so mail queued while sending goes out in the same call. A server that cannot be reached
    ends the call: the message tried waits its backoff, the others the next call.
    """
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        while True:
            at = now or timezone.now()
            pending = outbox.due([Channel.EMAIL], at).order_by("next_attempt_at", "pk")
            mail = list(pending[: outbox.CANDIDATES])
            if not mail:
                return sent
            for item in mail:
                if not _claim(item, now or timezone.now()):
                    continue
                try:
                    connection.open()  # kept open from one message to the next
                except Exception as exc:  # the server, not this message: try again later
                    log.warning("the mail server cannot be reached: %s", exc)
                    outbox.record(item, now or timezone.now(), exc)
                    return sent  # the rest wait for the next round, their attempts unspent
                try:
                    _transmit(item, connection)
                except Exception as exc:  # any transport failure is retried, never lost
                    log.warning("sending outbound message %s failed: %s", item.pk, exc)
                    _hang_up(connection)  # a fresh conversation for the next message
                    outbox.record(item, now or timezone.now(), exc, _permanent(exc))
                else:
                    outbox.record(item, now or timezone.now(), None)
                    sent += 1
    finally:
        _hang_up(connection)
