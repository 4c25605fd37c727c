"""Fixtures of the email tests: support addresses, message builders, and real servers started
by the tests themselves: an SMTP sink (aiosmtpd) and an IMAP server (Dovecot)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from supportdesk.channels.email.models import Mailbox

SUPPORT = "support@webplug.example"
PRIORITY = "priority@webplug.example"


@pytest.fixture
def mailboxes(db) -> tuple[Mailbox, Mailbox]:
    default = Mailbox.objects.create(address=SUPPORT, name="WebPlug Support", is_default=True)
    priority = Mailbox.objects.create(address=PRIORITY, name="WebPlug Priority")
    return default, priority


def build(
    *,
    sender: str | None = "ana@cliente-b.pt",
    to: str = SUPPORT,
    subject: str = "Servidor em baixo",
    body: str = "O nosso servidor não responde desde as 9h.",
    charset: str = "utf-8",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A message as a mail client writes it, CRLF line ends."""
    msg = EmailMessage()
    if sender is not None:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class Sink:
    """Collects what the desk sends: (envelope sender, recipients, message bytes)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(settings) -> Iterator[Sink]:
    """A real SMTP server on a loopback port; Django's SMTP backend is pointed at it."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    try:
        yield sink
    finally:
        controller.stop()


class Dovecot:
    def __init__(self, root: Path, port: int, user: str, password: str):
        self.root, self.port, self.user, self.password = root, port, user, password


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/base
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """Debian's Dovecot as a plain foreground process in a temporary directory."""
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd): IMAP tests skipped")
    root = Path(tempfile.mkdtemp(prefix="supportdesk-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    if os.geteuid() == 0:  # Dovecot refuses mail access as root: use nobody's uid
        uid, gid, login_user, internal_user = 65534, 65534, "dovenull", "dovecot"
        os.chown(root / "mail", uid, gid)
    else:
        import getpass

        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = getpass.getuser()
    port = _free_port()
    (root / "passwd").write_text("support:{PLAIN}imap-secret::::::\n")
    (root / "dovecot.conf").write_text(
        DOVECOT_CONF.format(
            root=root,
            port=port,
            uid=uid,
            gid=gid,
            login_user=login_user,
            internal_user=internal_user,
        )
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = (
                        process.stdout.read().decode(errors="replace") if process.stdout else ""
                    )
                    log = (
                        (root / "dovecot.log").read_text()
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    pytest.skip(f"dovecot did not start: {output} {log}"[:2000])
                time.sleep(0.05)
        yield Dovecot(root, port, "support", "imap-secret")
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
