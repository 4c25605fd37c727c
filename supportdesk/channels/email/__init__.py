"""The email channel: every message becomes or joins a case, in any charset, and nothing is lost.

Ways in (both store and commit the raw bytes with ``intake.store`` before parsing anything):

- ``supportdesk mail_gateway --recipient ADDRESS`` reads one message on stdin, for an MTA's
  pipe transport; it prints ``{"status": "new"|"joined"|"held"|"review", "case": N|null,
  "message": ID}`` and exits 0 once stored, 75 (retry later) when the database is away, 65
  with ``5.3.4 ...`` for a message over ``MAIL_MAX_MESSAGE_BYTES`` (its headers are kept, held).
  Postfix ``master.cf``: ``supportdesk unix - n n - - pipe flags=Rq user=supportdesk
  argv=/srv/supportdesk/.venv/bin/supportdesk mail_gateway --recipient ${recipient}``.
- The worker polls the IMAP mailboxes configured on ``Mailbox`` rows (admin), marking or
  moving a message only after it is stored.

Modules: ``mime`` and ``text`` read messages; ``classify`` tells automatic mail and trusted
senders; ``intake`` stores, threads and delivers through ``tickets.services``; ``outgoing``
writes acknowledgements and threading headers for the outbox; ``sending`` sends the outbox
(the worker runs it in a thread of its own, continuously while there is mail); ``imap`` polls.
Settings: ``MAIL_MAX_MESSAGE_BYTES``, ``MAIL_MAX_ATTACHMENT_BYTES``, ``MAIL_RATE_LIMIT``,
``MAIL_RATE_WINDOW_SECONDS``, ``MAIL_ACKNOWLEDGE_UNREGISTERED``, ``MAIL_POLL_INTERVAL_SECONDS``,
``MAIL_MESSAGE_ID_DOMAIN``, ``MAIL_SEND_LEASE_SECONDS``.
"""
