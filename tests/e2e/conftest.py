"""Browser tests: Debian's chromium driven by Playwright against a real server.

The session starts gunicorn on a free loopback port against a temporary SQLite file that a
seeding process (``tests/e2e/seed.py``) migrates and fills through the services. They run in
the SQLite pass of ``make test`` only: the PostgreSQL pass would test the same pages again.
Without chromium (``make test`` installs it with apt) they are skipped, saying why.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "var" / "screenshots"))
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(config, items):
    reason = None
    if os.environ.get("SUPPORTDESK_TEST_DB") == "postgres":
        reason = "browser tests run in the SQLite pass only (same pages, same server code)"
    elif not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium (make test does it with apt)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="sd-e2e-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.root / 'e2e.sqlite3'}",
            "SUPPORTDESK_VAR": str(self.root),
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
            "DEBUG": "false",
            "SECRET_KEY": "e2e-not-secret",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Mail is written under the server's root, where ``mails_to`` reads it.
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            # The tests seed rows behind the server's back: no kept public status answers.
            "STATUS_PUBLIC_CACHE_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("SUPPORTDESK_TEST_DB", None)
        self.process: subprocess.Popen | None = None
        self.log = self.root / "server.log"

    def seed(self, phase: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "tests.e2e.seed", phase],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"seeding ({phase}) failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "supportdesk.wsgi",
            "--config", "python:supportdesk.runtime.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
            "--worker-class", "gthread", "--threads", "4", "--graceful-timeout", "2",
        ]  # fmt: skip
        log = self.log.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer in 60 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)
    running = Server()
    try:
        running.seeded = running.seed("base")
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # The same patience as the contexts' default: a shared CI machine can be slow for a moment.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, server):
    """A fresh browser session (own cookies) for one person: language, zone, screen size."""
    contexts = []

    def make(locale: str = "en-GB", timezone_id: str = "Europe/Lisbon", width: int = 1280):
        context = browser.new_context(
            base_url=server.url,
            locale=locale,
            timezone_id=timezone_id,
            viewport={"width": width, "height": 900},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_load_state()


def mails_to(server, address: str) -> list[EmailMessage]:
    """The mail the server sent to ``address``, oldest first (its outbox is a folder)."""
    found = []
    for path in sorted((server.root / "mail").glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                message = BytesParser(policy=policy.default).parsebytes(raw.lstrip())
                if address in str(message["To"]):
                    found.append(message)
    return found


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
