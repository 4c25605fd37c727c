"""``supportdesk mail_gateway``: one message on stdin, as an MTA's pipe transport delivers it.

Postfix ``master.cf``: ``supportdesk unix - n n - - pipe flags=Rq user=supportdesk
argv=/path/to/.venv/bin/supportdesk mail_gateway --recipient ${recipient}``.

A message over ``MAIL_MAX_MESSAGE_BYTES`` is refused: exit 65 with ``5.3.4 ...`` as the first
line of output, which Postfix's pipe(8) puts in the bounce as the status (RFC 3463, "message
too big for system"); its header block is kept, held, so the desk sees what it refused.
"""

import io
import sys
from typing import BinaryIO

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from supportdesk.channels.email.intake import hold_oversized, outcome_of, process, store
from supportdesk.channels.email.mime import header_block
from supportdesk.channels.email.models import IntakeStatus

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75
_CHUNK = 1024 * 1024


def read_message(stream: BinaryIO, limit: int) -> tuple[bytes, int]:
    """(the message, its size) when it is within ``limit`` bytes; else (its header block, its
    size): the rest is read and dropped a chunk at a time, so the MTA sees it consumed and no
    more than ``limit`` bytes are ever held."""
    data = stream.read(limit + 1)
    size = len(data)
    if size <= limit:
        return data, size
    head = header_block(data)
    del data
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
    return head, size


def run(message: bytes | BinaryIO, recipient: str = "") -> tuple[int, str]:
    """(exit status, output line). 0 only once the raw message is committed; 75 (the MTA
    retries later) when it could not be stored; 65 for no message, or one over the size
    limit (then after its headers are stored)."""
    stream = io.BytesIO(message) if isinstance(message, bytes) else message
    limit = settings.MAIL_MAX_MESSAGE_BYTES
    raw, size = read_message(stream, limit)
    if not raw or raw.isspace():
        sys.stderr.write("mail_gateway: empty input, no message to store\n")
        return EX_DATAERR, ""
    try:
        if size > limit:
            hold_oversized(raw, size=size, recipient=recipient)
            sys.stderr.write(
                f"5.3.4 message too big for system: {size} bytes, the limit is {limit} bytes\n"
            )
            return EX_DATAERR, ""
        email = store(raw, recipient=recipient)
        if not connection.in_atomic_block:
            connection.close()  # SQLite's cached INSERT holds a copy of the message till then
        # The same delivery again is answered as the first time.
        received = email.status == IntakeStatus.RECEIVED
        outcome = process(email) if received else outcome_of(email)
    except DatabaseError as exc:
        sys.stderr.write(f"mail_gateway: database unavailable, try again later: {exc}\n")
        return EX_TEMPFAIL, ""
    except Exception as exc:  # never tell the MTA "delivered" for a message not stored
        sys.stderr.write(f"mail_gateway: could not store the message: {exc!r}\n")
        return EX_TEMPFAIL, ""
    return EX_OK, outcome.as_json()


class Command(BaseCommand):
    help = "Receive one RFC 5322 message on standard input (for an MTA's pipe transport)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient", default="", help="the envelope recipient (Postfix: ${recipient})"
        )

    def handle(self, *args, recipient: str, **options):
        status, line = run(sys.stdin.buffer, recipient)
        if line:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        sys.exit(status)
