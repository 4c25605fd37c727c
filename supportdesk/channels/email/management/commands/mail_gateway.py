"""``supportdesk mail_gateway``: one message on stdin, as an MTA's pipe transport delivers it.

Postfix ``master.cf``: ``supportdesk unix - n n - - pipe flags=Rq user=supportdesk
argv=/path/to/.venv/bin/supportdesk mail_gateway --recipient ${recipient}``.
"""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from supportdesk.channels.email.intake import receive

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75


def run(raw: bytes, recipient: str = "") -> tuple[int, str]:
    """(exit status, output line). 0 only once the raw message is committed; 75 (the MTA
    retries later) when it could not be stored."""
    if not raw.strip():
        return EX_DATAERR, ""
    try:
        outcome = receive(raw, recipient=recipient)
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
        status, line = run(sys.stdin.buffer.read(), recipient)
        if line:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        if status == EX_DATAERR:
            sys.stderr.write("mail_gateway: empty input, no message to store\n")
        sys.exit(status)
