"""The mail gateway as the MTA runs it, in a process of its own whose peak memory is measured:
shared by the large-mail tests and ``bench/mail_intake.py``."""

import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SUPPORTDESK = str(Path(sys.executable).parent / "supportdesk")


@dataclass(frozen=True)
class Delivery:
    status: int
    stdout: bytes
    stderr: bytes
    peak_rss: int  # bytes: the most memory the gateway process held at once


def environment(var: Path, **settings: str) -> dict[str, str]:
    """A desk of its own: SQLite in ``var``, files under it, and any settings given."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"sqlite:///{var / 'desk.sqlite3'}", SUPPORTDESK_VAR=str(var), **settings
    )
    return env


def migrate(env: dict[str, str]) -> None:
    command = [SUPPORTDESK, "migrate"]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)


def deliver(raw: bytes, env: dict[str, str], recipient: str = "") -> Delivery:
    """Pipe ``raw`` to ``supportdesk mail_gateway`` and wait for it; its peak resident memory
    comes from the kernel's accounting of that one child (``wait4``)."""
    command = [SUPPORTDESK, "mail_gateway", "--recipient", recipient]
    with (
        tempfile.TemporaryFile() as stdin,
        tempfile.TemporaryFile() as stdout,
        tempfile.TemporaryFile() as stderr,
    ):
        stdin.write(raw)
        stdin.seek(0)
        process = subprocess.Popen(
            command, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=ROOT
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        return Delivery(process.returncode, stdout.read(), stderr.read(), usage.ru_maxrss * 1024)


def with_attachment(data: bytes, subject: str = "Logs") -> bytes:
    """A customer's message carrying ``data`` as its attachment, base64 as mail clients send
    it (the message is about 4/3 the attachment's size)."""
    msg = EmailMessage()
    msg["From"] = "ana@cliente-b.pt"
    msg["To"] = "support@webplug.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{hashlib.sha256(data).hexdigest()[:24]}@cliente-b.pt>"
    msg.set_content("The full server log is attached.")
    msg.add_attachment(
        data, maintype="application", subtype="octet-stream", filename="server.log.gz"
    )
    return msg.as_bytes().replace(b"\n", b"\r\n")
