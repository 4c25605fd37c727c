"""Cases per second over HTTP: ``supportdesk run`` on a fresh SQLite, clients with keep-alive.

    .venv/bin/python bench/api_cases.py [--cases 2000] [--clients 1 8] [--no-worker]

Starts the real server (gunicorn + worker, as a user would) on a free port against a temporary
database, creates an agent token with ``supportdesk create_token``, then POSTs cases to
``/api/cases`` from 1 and 8 client threads, each on its own keep-alive connection. Prints
cases/s and p50/p99 latency per concurrency, the SQL statements one case costs, and the peer's
published figure. Targets: >= 300 cases/s and p99 <= 50 ms with 8 clients on 2 cores.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = (
    "django-helpdesk 2.6.1 (peer, published figure measured on our machines): "
    "63 tickets/s in-process, 20 SQL statements and 9 ms per ticket"
)
TARGET_RATE, TARGET_P99_MS = 300, 50
REQUESTERS = ["ana@cliente-b.pt", "bruno@cliente-b.pt", "+351912345678", "olga@outra.pt"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def supportdesk(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "supportdesk.cli", *args]
    return subprocess.run(command, env=env, cwd=ROOT, check=True, **kwargs)


def seed(env: dict[str, str]) -> None:
    """A small world through the services: a plan with business-hours targets, two customers."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # static files: not served here
    django.setup()
    from supportdesk.accounts.models import Organization
    from supportdesk.accounts.services import save_agent, save_contact
    from supportdesk.plans.services import TargetSpec, save_calendar, save_contract, save_plan

    weekdays = {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    calendar, _ = save_calendar(
        "pt-lisbon", timezone="Europe/Lisbon", country="PT", weekly=weekdays
    )
    targets = [
        TargetSpec("first_response", within=timedelta(hours=4)),
        TargetSpec(
            "restoration", within=timedelta(hours=4), priorities=["P1"], around_the_clock=True
        ),
        TargetSpec("restoration", within=timedelta(hours=16)),
    ]
    plan, _ = save_plan("priority", name="Priority", calendar=calendar, targets=targets)
    for slug, name in (("cliente-b", "Cliente B"), ("outra", "Outra")):
        org, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": name})
        save_contract(org, plan, start=date(2020, 1, 1))
    org_b = Organization.objects.get(slug="cliente-b")
    save_contact(org_b, name="Ana", role="admin", email="ana@cliente-b.pt", phone="+351912345678")
    save_contact(org_b, name="Bruno", role="member", email="bruno@cliente-b.pt")
    save_contact(
        Organization.objects.get(slug="outra"), name="Olga", role="admin", email="olga@outra.pt"
    )
    save_agent(name="Bench Agent", email="bench@supportdesk.example", level="L1", teams=["geral"])


def statements_per_case(token: str) -> int:
    """SQL statements of one POST /api/cases, counted in-process on the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {token}"})
    body = {"subject": "count", "body": "...", "requester": REQUESTERS[0]}
    client.post("/api/cases", body, content_type="application/json")  # warm caches
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/cases", body, content_type="application/json")
    assert response.status_code == 201, response.content
    connection.close()
    return len(captured)


def in_process(token: str, count: int = 300) -> tuple[float, float]:
    """(cases/s, ms/case) through the WSGI handler in this process, one after another: the
    whole stack (middleware, token, JSON, services, database) without a network in between,
    which is how the peer's figure was taken."""
    import io

    from django.db import connection

    from supportdesk.wsgi import application

    def post(i: int) -> None:
        body = json.dumps(
            {"subject": f"In-process {i}", "body": "...", "requester": REQUESTERS[i % 4]}
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/cases",
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        result = application(environ, lambda s, headers, *exc: status.append(s))
        b"".join(result)
        result.close()
        assert status[0].startswith("201"), status

    for i in range(20):
        post(i)
    start = time.perf_counter()
    for i in range(count):
        post(i)
    elapsed = time.perf_counter() - start
    connection.close()
    return count / elapsed, elapsed * 1000 / count


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"supportdesk run exited with code {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("supportdesk run did not answer within a minute")


def client(
    port: int, token: str, count: int, offset: int, latencies: list[float], failures: list[str]
) -> None:
    """One keep-alive connection posting ``count`` cases back to back."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for i in range(count):
        body = json.dumps(
            {
                "subject": f"Bench case {offset + i}",
                "body": "The VPN drops every few minutes.",
                "requester": REQUESTERS[(offset + i) % len(REQUESTERS)],
                "priority": "P1" if i % 5 == 0 else "P3",
            }
        )
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/cases", body, headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - start)
        if response.status != 201:
            failures.append(f"HTTP {response.status}")
    conn.close()


def stop_server(server: subprocess.Popen | None) -> None:
    """Stop ``supportdesk run`` as Ctrl-C would, and for good if it does not go in 20 s."""
    if server is not None and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def server_cpu_seconds(root: int) -> float:
    """User + system CPU of the server's process tree (Linux /proc), to tell the cost of a case
    apart from what other programs on a shared machine take."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def measure(port: int, token: str, clients: int, total: int, server: int = 0) -> dict[str, float]:
    per_client = max(1, total // clients)
    latencies: list[float] = []
    failures: list[str] = []
    threads = [
        threading.Thread(
            target=client, args=(port, token, per_client, n * per_client, latencies, failures)
        )
        for n in range(clients)
    ]
    cpu_before = server_cpu_seconds(server) if server else 0.0
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu = server_cpu_seconds(server) - cpu_before if server else 0.0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "clients": clients,
        "cases": len(latencies),
        "failures": len(failures),
        "first_failure": failures[0] if failures else "",
        "rate": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p99": q[98] * 1000,
        "cpu_ms": cpu * 1000 / max(1, len(latencies)),
    }


def main() -> None:
    # Run as a script, bench/ is first on sys.path and its modules (bench/queue.py) would shadow
    # the standard library's; the project root is what this script needs instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != here]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per concurrency level")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--no-worker", action="store_true", help="serve without the worker")
    parser.add_argument(
        "--gunicorn",
        action="store_true",
        help="start gunicorn directly as `supportdesk run` does (web only, no worker)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="web worker processes (default: run's own)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (--gunicorn)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="supportdesk-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SUPPORTDESK_VAR": str(tmp),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    server = None
    try:
        supportdesk("migrate", "--noinput", "--skip-checks", "-v", "0", env=env)
        seed(env)
        token = supportdesk(
            "create_token",
            "--skip-checks",
            "bench@supportdesk.example",
            "bench",
            env=env,
            capture_output=True,
            text=True,
        ).stdout.strip()
        statements = statements_per_case(token)
        local_rate, local_ms = in_process(token)

        port = free_port()
        if args.gunicorn:
            mode = f"gunicorn, {args.workers} gthread workers x {args.threads} threads, no worker"
            command = [
                sys.executable, "-m", "gunicorn", "supportdesk.wsgi",
                "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers or 4),
                "--worker-class", "gthread", "--threads", str(args.threads),
            ]  # fmt: skip
        else:
            mode = "`supportdesk run`" + (", no worker" if args.no_worker else "")
            command = [sys.executable, "-m", "supportdesk.cli", "run", "--port", str(port)]
            if args.workers:
                command += ["--workers", str(args.workers)]
            if args.no_worker:
                command.append("--no-worker")
        log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(port, server)
        measure(port, token, 4, 200)  # warm every worker process

        print(f"supportdesk API, POST /api/cases on SQLite ({os.cpu_count()} CPUs, {mode})")
        print(f"  SQL statements per case: {statements} (with BEGIN and COMMIT)")
        print(f"  in-process, one after another: {local_rate:.0f} cases/s, {local_ms:.1f} ms/case")
        load_before = os.getloadavg()[0]
        results = [
            measure(port, token, clients, args.cases, server.pid) for clients in args.clients
        ]
        for r in results:
            failed = f", first: {r['first_failure']}" if r["failures"] else ""
            print(
                f"  {r['clients']:>2} client(s): {r['rate']:7.1f} cases/s   "
                f"p50 {r['p50']:5.1f} ms   p99 {r['p99']:5.1f} ms   "
                f"server CPU {r['cpu_ms']:.1f} ms/case   "
                f"({r['cases']} cases, {r['failures']} failures{failed})"
            )
        cores = os.cpu_count() or 1
        cpu_ms = min(r["cpu_ms"] for r in results)
        print(
            f"  load average before: {load_before:.1f} on {cores} cores (other programs share "
            f"them); server CPU alone would allow ~{cores * 1000 / cpu_ms:.0f} cases/s"
        )
        print(f"  {PEER}")
        top = max(results, key=lambda r: r["clients"])
        verdict = top["rate"] >= TARGET_RATE and top["p99"] <= TARGET_P99_MS and not top["failures"]
        print(
            f"  target at {top['clients']} clients: >= {TARGET_RATE} cases/s, "
            f"p99 <= {TARGET_P99_MS} ms: {'met' if verdict else 'NOT met'}"
        )
    finally:
        stop_server(server)
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
