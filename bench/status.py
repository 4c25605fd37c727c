"""The status page under load: ``wrk`` against ``supportdesk run`` on a fresh SQLite.

    .venv/bin/python bench/status.py [--duration 10] [--connections 16]

Starts the real server (as a user would) on a free port against a temporary database seeded
through the services: two customers, twelve components in three groups (one of them Cliente
B's own PBX), 90 days of resolved incidents for the uptime bars, an active incident on the PBX
and upcoming maintenance. Then ``wrk`` (the Debian package) loads, with 16 connections each:
the public page ``/status/``, ``/status/api/v2/summary.json``, and the page as Cliente B's
signed-in customer sees it (their browser's cookies). Every request offers the encodings a
browser offers. Prints req/s, p50/p95/p99, errors and the size of an answer as sent, for each.
Targets: >= 1,500 requests/s on 2 cores with 0 errors for the public page and summary.json,
and the customer's own view p95 <= 20 ms.
"""

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

# The server, its seed of two customers and the helpers to start it are bench/api_cases.py's.
_spec = importlib.util.spec_from_file_location("bench_api_cases", HERE / "api_cases.py")
api_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_cases)

TARGET_RATE, TARGET_P95_MS = 1500, 20.0
#: What every browser offers (Chromium's and Firefox's list): the answers may come compressed.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
PEER = (
    "peer: Cachet 2.x (Laravel) documents no throughput; Atlassian Statuspage serves its "
    "public page from a CDN and publishes no figure for audience-specific pages"
)
#: wrk prints its latency percentiles as JSON when the run is done (its Lua API).
REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "bytes": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, '
    .. '"errors": %d, "non2xx": %d}\\n',
    summary.requests, summary.bytes, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def seed_status() -> str:
    """Components, 90 days of incidents and the active ones; the cookies of Cliente B's
    admin's browser once it has seen the page (session, and the CSRF cookie its forms use)."""
    from django.test import Client
    from django.utils import timezone

    from supportdesk.accounts.models import Organization, User
    from supportdesk.status import services
    from supportdesk.status.choices import Audience, ComponentStatus, Impact, IncidentStatus

    agent = User.objects.get(email="bench@supportdesk.example")
    now = timezone.now()
    since = now - timedelta(days=91)
    groups = {
        "voice": ("Voice", {"pt": "Voz", "pl": "Głos"}),
        "network": ("Network", {"pt": "Rede", "pl": "Sieć"}),
        "mail": ("Mail", {"pt": "Correio", "pl": "Poczta"}),
    }
    slugs, made = [], {}
    for position, (slug, (name, names)) in enumerate(groups.items()):
        group, _ = services.save_group(slug, name=name, names=names, position=position)
        made[slug] = group
        for i in range(4 if slug != "voice" else 3):
            component, _ = services.save_component(
                f"{slug}-{i}", name=f"{name} {i}", names={}, group=group, position=i, at=since
            )
            slugs.append(component.slug)
    cliente_b = Organization.objects.get(slug="cliente-b")
    services.save_component(
        "pbx-cliente-b",
        name="PBX Cliente B",
        names={"pt": "Central telefónica Cliente B"},
        group=made["voice"],
        audience=Audience.ORGANIZATIONS,
        organizations=[cliente_b],
        position=9,
        at=since,
    )
    statuses = [
        ComponentStatus.DEGRADED,
        ComponentStatus.PARTIAL_OUTAGE,
        ComponentStatus.MAJOR_OUTAGE,
    ]
    for day in range(1, 90, 3):  # an incident every third day, resolved within hours
        start = now - timedelta(days=90 - day, hours=day % 7)
        component = slugs[day % len(slugs)]
        incident = services.open_incident(
            name=f"Trouble on {component}",
            impact=Impact.MINOR,
            status=IncidentStatus.INVESTIGATING,
            body="We are looking into it.",
            components={component: statuses[day % 3]},
            author=agent,
            at=start,
        )
        services.update_incident(
            incident,
            status=IncidentStatus.RESOLVED,
            body="Fixed.",
            components={component: ComponentStatus.OPERATIONAL},
            author=agent,
            at=start + timedelta(hours=1 + day % 5),
        )
    services.open_incident(
        name="PBX unreachable",
        impact=Impact.MAJOR,
        status=IncidentStatus.IDENTIFIED,
        body="A failed power supply; the spare is on its way.",
        components={"pbx-cliente-b": ComponentStatus.DEGRADED},
        author=agent,
        at=now - timedelta(minutes=30),
    )
    window = services.Window(now + timedelta(days=2), now + timedelta(days=2, hours=2))
    services.schedule_maintenance(
        name="Trunk upgrade", window=window, body="Calls may drop.", author=agent,
        components=["voice-0"], at=now,
    )  # fmt: skip
    customer = Client()
    customer.force_login(User.objects.get(email="ana@cliente-b.pt"))
    assert "PBX Cliente B" in customer.get("/status/").content.decode()
    return "; ".join(
        f"{name}={customer.cookies[name].value}" for name in ("sessionid", "csrftoken")
    )


def wrk(url: str, connections: int, seconds: int, script: Path, cookie: str = "") -> dict:
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["-s", str(script), "-H", f"Accept-Encoding: {BROWSER_ENCODINGS}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["rate"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="supportdesk-bench-status-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SUPPORTDESK_VAR": str(tmp),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    script = tmp / "report.lua"
    script.write_text(REPORT_LUA)
    server = None
    ok = False
    try:
        api_cases.supportdesk("migrate", "--noinput", "--skip-checks", "-v", "0", env=env)
        api_cases.seed(env)
        session = seed_status()
        from django.db import connection

        connection.close()
        port = api_cases.free_port()
        command = [sys.executable, "-m", "supportdesk.cli", "run", "--port", str(port)]
        log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        api_cases.wait_until_up(port, server)
        base = f"http://127.0.0.1:{port}"
        runs = [
            ("public page /status/", f"{base}/status/", ""),
            ("summary.json", f"{base}/status/api/v2/summary.json", ""),
            ("customer's own view", f"{base}/status/", session),
        ]
        for _label, url, cookie in runs:  # warm every worker process
            wrk(url, args.connections, 2, script, cookie)
        load_before = os.getloadavg()[0]
        print(
            f"status page under wrk, {args.connections} connections, {args.duration} s each, "
            f"`supportdesk run` on SQLite ({os.cpu_count()} CPUs)"
        )
        print(
            f"{'':24} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
            f"{'KB/answer':>9}"
        )
        results = {}
        for label, url, cookie in runs:
            r = wrk(url, args.connections, args.duration, script, cookie)
            results[label] = r
            errors = r["errors"] + r["non2xx"]
            print(
                f"{label:24} {r['rate']:8.0f} {r['p50']:8.1f} {r['p95']:8.1f} "
                f"{r['p99']:8.1f} {errors:7} {r['bytes'] / r['requests'] / 1024:9.1f}"
            )
        print(f"load average before: {load_before:.1f} (other programs share the cores)")
        public = [results["public page /status/"], results["summary.json"]]
        own = results["customer's own view"]
        rate_ok = all(r["rate"] >= TARGET_RATE and not r["errors"] + r["non2xx"] for r in public)
        own_ok = own["p95"] <= TARGET_P95_MS and not own["errors"] + own["non2xx"]
        ok = rate_ok and own_ok
        print(
            f"target: public page and summary.json >= {TARGET_RATE:,} req/s with 0 errors: "
            f"{'met' if rate_ok else 'NOT met'}; customer's own view p95 <= "
            f"{TARGET_P95_MS:.0f} ms: {'met' if own_ok else 'NOT met'}"
        )
        print(PEER)
    finally:
        api_cases.stop_server(server)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
