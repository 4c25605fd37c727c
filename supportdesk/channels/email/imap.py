"""The IMAP poller: fetch unseen mail of each configured mailbox, store it through the same
intake as the MTA pipe, and mark it seen (or move it) only after it is committed."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessageFlags

from supportdesk.channels.email.intake import TRANSIENT_ERRORS, receive
from supportdesk.channels.email.models import Mailbox, Source

log = logging.getLogger(__name__)

#: At most this many messages per mailbox and poll, so one flood cannot starve the others.
BATCH = 200


def _connect(mailbox: Mailbox):
    client = MailBox if mailbox.imap_ssl else MailBoxUnencrypted
    return client(mailbox.imap_host, mailbox.imap_port, timeout=30).login(
        mailbox.imap_user or mailbox.address, mailbox.imap_secret(), mailbox.imap_folder
    )


def _fetch_raw(connection, uid: str) -> bytes | None:
    """The message's bytes exactly as stored (imap-tools' own parse would re-serialise them);
    BODY.PEEK leaves the message unseen until we have committed it."""
    status, data = connection.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def poll(mailbox: Mailbox, now: datetime | None = None) -> int:
    """Receive this mailbox's unseen messages; returns how many were stored."""
    stored = 0
    with _connect(mailbox) as connection:
        uids = connection.uids(AND(seen=False))[:BATCH]
        for uid in uids:
            raw = _fetch_raw(connection, uid)
            if raw is None:
                continue
            try:
                outcome = receive(raw, mailbox=mailbox, source=Source.IMAP, now=now)
            except TRANSIENT_ERRORS:
                log.warning("database unavailable; %s stays unseen for the next poll", uid)
                raise
            log.info("imap %s uid %s: %s", mailbox.address, uid, outcome.as_json())
            stored += 1
            if mailbox.imap_move_to:
                connection.move(uid, mailbox.imap_move_to)
            else:
                connection.flag(uid, MailMessageFlags.SEEN, True)
    return stored


def poll_due(now: datetime | None = None) -> int:
    """Poll every enabled mailbox not polled within MAIL_POLL_INTERVAL_SECONDS."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.MAIL_POLL_INTERVAL_SECONDS)
    due = Mailbox.objects.filter(imap_enabled=True).filter(
        Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=now - interval)
    )
    total = 0
    for mailbox in due:
        error = ""
        try:
            total += poll(mailbox, now)
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # a server down or a wrong password: shown on the mailbox
            log.warning("polling %s failed: %s", mailbox.address, exc)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_poll_error=error)
    return total
