"""``supportdesk mail_gateway``: exit 0 and one JSON line only once the message is stored;
exit 75 (EX_TEMPFAIL, the MTA retries) when the database cannot store it."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from supportdesk.channels.email.management.commands import mail_gateway
from supportdesk.channels.email.models import InboundEmail
from tests.channels.email.conftest import PRIORITY, build

ROOT = Path(__file__).resolve().parents[3]
COMMAND = [str(Path(sys.executable).parent / "supportdesk"), "mail_gateway"]


@pytest.mark.django_db
def test_run_stores_and_answers_with_one_json_line(world, mailboxes):
    status, line = mail_gateway.run(build(), recipient=PRIORITY)
    answer = json.loads(line)
    email = InboundEmail.objects.get()
    assert status == 0 and answer == {"status": "new", "case": email.case_id, "message": email.pk}
    assert email.recipient == PRIORITY


@pytest.mark.django_db
def test_database_failure_asks_the_mta_to_retry(world, mailboxes, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("unable to open database file")

    monkeypatch.setattr(mail_gateway, "store", down)
    assert mail_gateway.run(build()) == (75, "")


def test_empty_input_is_a_data_error():
    assert mail_gateway.run(b"  \n") == (65, "")


def _env(tmp_path: Path, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=f"sqlite:///{database}", SUPPORTDESK_VAR=str(tmp_path / "var"))
    return env


def test_gateway_as_the_mta_runs_it(tmp_path):
    """The real command, as a subprocess on its own SQLite file: stdin in, exit code and JSON
    out; a second delivery of the same bytes gives the same answer; an unmigrated database
    (no tables) exits 75 with nothing printed."""
    database = tmp_path / "desk.sqlite3"
    env = _env(tmp_path, database)
    migrate = [str(Path(sys.executable).parent / "supportdesk"), "migrate"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    raw = build(subject="Awaria łącza", body="Brak internetu od rana.", charset="iso-8859-2")
    runs = [
        subprocess.run(COMMAND, input=raw, env=env, cwd=ROOT, capture_output=True, timeout=60)
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr.decode()
        assert run.stdout.decode().count("\n") == 1
    first, second = (json.loads(r.stdout) for r in runs)
    assert first == second and first["status"] == "new" and first["case"] == 1
    with sqlite3.connect(database) as db:
        stored = db.execute("select raw, status from email_channel_inboundemail").fetchall()
        subject = db.execute("select subject from tickets_case").fetchone()[0]
    assert stored == [(raw, "new")] and subject == "Awaria łącza"

    broken = _env(tmp_path, tmp_path / "empty.sqlite3")
    run = subprocess.run(COMMAND, input=raw, env=broken, cwd=ROOT, capture_output=True, timeout=60)
    assert run.returncode == 75 and run.stdout == b""
    assert b"try again later" in run.stderr
