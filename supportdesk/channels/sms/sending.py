"""Sending the outbox's texts through the carrier: replies to SMS and WhatsApp cases.

Each text is claimed and settled as the outbox does for every sender (``tickets.outbox``: a
conditional UPDATE with a lease of ``SMS_SEND_LEASE_SECONDS``, then sent, retried with backoff,
or failed visibly on the case) and sent outside any transaction, so a slow carrier never keeps
a case waiting. A WhatsApp case's reply goes by WhatsApp, from and to ``whatsapp:`` numbers.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from supportdesk.channels import carrier_api
from supportdesk.db import claim_for_sending
from supportdesk.tickets import outbox
from supportdesk.tickets.choices import Channel
from supportdesk.tickets.models import OutboundMessage

log = logging.getLogger(__name__)


def _address(item: OutboundMessage, number: str) -> str:
    return carrier_api.WHATSAPP + number if item.channel == Channel.WHATSAPP else number


def _transmit(item: OutboundMessage) -> None:
    sender = (item.headers or {}).get("From") or settings.SMS_FROM
    if not sender:
        raise carrier_api.CarrierError("no number to send from: set SMS_FROM")
    carrier_api.send_message(
        to=_address(item, item.to), sender=_address(item, sender), body=item.body
    )


def send_pending(now: datetime | None = None) -> int:
    """Send every text that is due, one claimed text at a time; returns how many were sent.
    Safe with any number of senders at once. A carrier that cannot be reached ends the call:
    the text tried waits its backoff, the others the next call, their attempts unspent."""
    sent = 0
    lease = timedelta(seconds=settings.SMS_SEND_LEASE_SECONDS)
    while True:
        pending = outbox.due(outbox.TEXT_CHANNELS, now or timezone.now())
        texts = list(pending.order_by("next_attempt_at", "pk")[: outbox.CANDIDATES])
        if not texts:
            return sent
        for item in texts:
            if not claim_for_sending(item, now or timezone.now(), lease):
                continue
            try:
                _transmit(item)
            except carrier_api.CarrierError as error:
                log.warning("sending text %s failed: %s", item.pk, error)
                outbox.record(item, now or timezone.now(), error)
                if isinstance(error, carrier_api.CarrierUnreachable):
                    return sent
            else:
                outbox.record(item, now or timezone.now(), None)
                sent += 1
