"""``supportdesk run``'s worker class: a busy worker leaves new connections to idle ones."""

import http.client
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[str, float]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.monotonic()
    conn.request("GET", path)
    response = conn.getresponse()
    return response.read().decode(), time.monotonic() - start


@pytest.fixture
def server():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "tests.runtime.pid_app:app",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "1",
            "--worker-class", "supportdesk.runtime.gunicorn_worker.FreeThreadWorker",
        ],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(port, "/")
            break
        except OSError:
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_a_connection_is_served_at_once_by_a_free_worker_while_another_is_busy(server):
    slow: list[str] = []
    busy = threading.Thread(target=lambda: slow.append(get(server, "/?wait=3")[0]))
    busy.start()
    time.sleep(0.3)  # the slow request is in a worker's hands
    pid, took = get(server, "/")
    busy.join()
    assert pid != slow[0] and took < 2.5  # not queued behind the slow request


def test_a_kept_alive_connection_stays_with_its_worker(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    first, _ = get(server, "/", conn)
    second, _ = get(server, "/", conn)
    assert first == second
