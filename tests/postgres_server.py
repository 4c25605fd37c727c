"""A pytest plugin that runs the suite on a throwaway PostgreSQL server it starts itself.

Loaded with ``-p tests.postgres_server`` and ``SUPPORTDESK_TEST_DB=postgres``. It starts a
cluster in a temporary directory before pytest-django reads the settings, points DATABASE_URL
at it, and removes it at the end. Where PostgreSQL's binaries are missing it says so and skips.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _unprivileged_user() -> str:
    """The postgres account where the server package made one, else nobody."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "nobody"
    return "postgres"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="supportdesk-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        # PostgreSQL refuses to run as root; CI runs as root, so run it as an unprivileged user.
        self.prefix = []
        if os.geteuid() == 0:
            user = _unprivileged_user()
            self.prefix = ["runuser", "-u", user, "--"]
            shutil.chown(self.root, user)

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> str:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "log"), "-w", "start",
        )  # fmt: skip
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser, args):
    if os.environ.get("SUPPORTDESK_TEST_DB") == "postgres":
        bindir = _binaries()
        if bindir is None:
            pytest.exit("PostgreSQL binaries (initdb) not found: the PostgreSQL run is skipped", 0)
        server = Server(bindir)
        os.environ["DATABASE_URL"] = server.start()
        early_config.add_cleanup(server.stop)
        print(f"\nTesting on a throwaway PostgreSQL server at {os.environ['DATABASE_URL']}")
    return (yield)
