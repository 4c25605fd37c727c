"""Carrier webhooks per second over HTTP: signed form post in, TwiML out, against `supportdesk run`.

    .venv/bin/python bench/voice.py [--calls 400] [--concurrency 1 8] [--pause 0] [--keep]

Starts the real server (gunicorn + worker, as a user would) on a free port against a temporary
SQLite database seeded with WebPlug's main line (a menu whose 1 rings team geral) and an agent
with a phone. Each simulated call is what a carrier sends, each request signed with
``X-Twilio-Signature`` and waited on before the next, as the carrier waits while the caller
hears silence: the call arrives, the caller presses 1, the agent's leg answers (at the
statusCallback URL the desk wrote into its ``<Dial>``), the dial completes, the call ends.
Prints p50/p95/p99 per request and per step, requests and calls per second. Target: p95 <= 20
ms with 8 concurrent calls on 2 cores. No peer publishes a figure for this.
"""

import sys
from pathlib import Path

# Run as a script, bench/ is first on sys.path and its modules (bench/queue.py) would shadow
# the standard library's; the project root is what this script needs instead.
ROOT = Path(__file__).resolve().parent.parent
_here = Path(__file__).resolve().parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _here]

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402
from xml.etree import ElementTree  # noqa: E402

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.api_cases import (  # noqa: E402
    free_port,
    seed,
    server_cpu_seconds,
    stop_server,
    supportdesk,
    wait_until_up,
)

TARGET_P95_MS, TARGET_CALLS = 20, 8
PEER = "peer: none publishes a webhook latency; the figure to meet is the target below"
MAIN_LINE, AGENT_PHONE = "+351210000100", "+351911000001"
CALLERS = ["+351912345678", "+351933333333"]  # Ana (registered) and an unknown caller
STEPS = ("incoming", "gather", "leg", "dial", "status")


def seed_phone(env: dict[str, str]) -> None:
    """api_cases's world, and a phone line: the main line around the clock (the bench must
    not depend on the hour it runs at), its menu, and the agent's phone."""
    seed(env)
    from supportdesk.accounts.models import Agent
    from supportdesk.channels.voice.choices import AfterHours, OptionKind
    from supportdesk.channels.voice.services import (
        OptionSpec,
        save_agent_line,
        save_menu,
        save_number,
        save_options,
    )

    menu, _ = save_menu("main", greeting={"pt": "Bem-vindo ao suporte WebPlug."})
    save_options(menu, [OptionSpec("1", OptionKind.TEAM, {"pt": "Suporte técnico"}, "geral")])
    save_number(
        MAIN_LINE, name="WebPlug main line", language="pt", calendar=None, menu=menu,
        after_hours=AfterHours.VOICEMAIL, country="PT",
    )  # fmt: skip
    agent = Agent.objects.get(user__email="bench@supportdesk.example")
    save_agent_line(agent, phone=AGENT_PHONE, extension="101")
    from django.db import connection

    connection.close()


class Carrier:
    """One keep-alive connection placing calls one after another, as a carrier's media
    server does for one caller: each request signed, each answer awaited and read."""

    def __init__(
        self, port: int, token: str, name: str, timings: dict[str, list[float]], pause: float = 0
    ):
        self.port, self.base, self.pause = port, f"http://127.0.0.1:{port}", pause
        self.validator = RequestValidator(token)
        self.name, self.timings, self.failures = name, timings, []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, kind: str, url: str, fields: dict[str, str]) -> ElementTree.Element | None:
        body = urlencode(fields)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(url, fields),
        }
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.pause and kind != "incoming":
            time.sleep(self.pause)  # the caller listening, keying, the agent's phone ringing
        start = time.perf_counter()
        try:
            self.conn.request("POST", target, body, headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.failures.append(f"{kind}: {type(exc).__name__}: {exc}")
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return None
        self.timings[kind].append(time.perf_counter() - start)
        if response.status != 200:
            self.failures.append(f"{kind}: HTTP {response.status}")
            return None
        return ElementTree.fromstring(content)

    def call(self, n: int) -> bool:
        sid = f"CA{self.name}{n:06d}{secrets.token_hex(8)}"
        form = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "To": MAIN_LINE}
        form["From"] = CALLERS[n % len(CALLERS)]
        url = self.base + "/channels/voice/"
        if self.post("incoming", url + "incoming", form | {"CallStatus": "ringing"}) is None:
            return False
        dial = self.post("gather", url + "gather", form | {"Digits": "1"})
        number = dial.find("Dial/Number") if dial is not None else None
        if number is None:
            self.failures.append("gather: no <Dial><Number> in the answer")
            return False
        leg = {"CallSid": "CL" + sid[2:], "ParentCallSid": sid, "CallStatus": "in-progress"}
        self.post("leg", number.get("statusCallback"), form | leg)
        self.post("dial", url + "dial", form | {"DialCallStatus": "completed"})
        self.post(
            "status", url + "status", form | {"CallStatus": "completed", "CallDuration": "60"}
        )
        return True


def statements_per_step() -> dict[str, int]:
    """SQL statements (transaction control included) of each step of one call, counted
    in-process on the bench's database before the server starts; the first call starts the
    case numbering, so the second is counted."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, counted = Client(), {}

    def post(kind: str, path: str, fields: dict[str, str]) -> ElementTree.Element:
        signature = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"]).compute_signature(
            "http://testserver" + path, fields
        )
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, fields, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200, response.content
        counted[kind] = len(captured)
        return ElementTree.fromstring(response.content)

    for n in range(2):
        form = {"CallSid": f"CAstatements{n}", "AccountSid": "AC" + "0" * 32, "To": MAIN_LINE}
        form["From"] = CALLERS[0]
        post("incoming", "/channels/voice/incoming", form | {"CallStatus": "ringing"})
        dial = post("gather", "/channels/voice/gather", form | {"Digits": "1"})
        number = dial.find("Dial/Number")
        assert number is not None, "gather 1 did not ring"
        leg_url = urlsplit(number.get("statusCallback", ""))
        leg = {"CallSid": f"CLstatements{n}", "ParentCallSid": form["CallSid"]}
        leg["CallStatus"] = "in-progress"
        post("leg", f"{leg_url.path}?{leg_url.query}", form | leg)
        post("dial", "/channels/voice/dial", form | {"DialCallStatus": "completed"})
        post(
            "status",
            "/channels/voice/status",
            form | {"CallStatus": "completed", "CallDuration": "60"},
        )
    connection.close()
    return counted


def measure(
    port: int, token: str, concurrency: int, calls: int, server: int = 0, pause: float = 0
) -> dict:
    timings: dict[str, list[float]] = {kind: [] for kind in STEPS}
    carriers = [
        Carrier(port, token, f"{concurrency}x{i}", timings, pause) for i in range(concurrency)
    ]
    per_carrier = max(1, calls // concurrency)
    threads = [
        threading.Thread(target=lambda c=c: [c.call(n) for n in range(per_carrier)])
        for c in carriers
    ]
    cpu_before = server_cpu_seconds(server) if server else 0.0
    client_before = time.process_time()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    client = time.process_time() - client_before
    cpu = server_cpu_seconds(server) - cpu_before if server else 0.0
    every = sorted(x for kind in STEPS for x in timings[kind])
    failures = [f for c in carriers for f in c.failures]

    def quantiles(values: list[float]) -> tuple[float, float, float]:
        q = statistics.quantiles(values, n=100, method="inclusive")
        return q[49] * 1000, q[94] * 1000, q[98] * 1000

    return {
        "concurrency": concurrency,
        "calls": per_carrier * concurrency,
        "requests": len(every),
        "failures": failures,
        "all": quantiles(every),
        "steps": {kind: quantiles(timings[kind]) for kind in STEPS if len(timings[kind]) > 1},
        "rps": len(every) / elapsed,
        "cps": per_carrier * concurrency / elapsed,
        "cpu_ms": cpu * 1000 / max(1, len(every)),
        "client_ms": client * 1000 / max(1, len(every)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, TARGET_CALLS])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--pause",
        type=float,
        default=0,
        help="seconds a carrier waits between a call's steps (0, the target's measure: each "
        "step the moment the last is answered; people take seconds)",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="supportdesk-bench-voice-"))
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SUPPORTDESK_VAR": str(tmp),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "TWILIO_AUTH_TOKEN": token,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PUBLIC_URL", None)  # signatures cover the URL the bench calls
    server = None
    try:
        supportdesk("migrate", "--noinput", "--skip-checks", "-v", "0", env=env)
        seed_phone(env)
        statements = statements_per_step()
        port = free_port()
        command = [sys.executable, "-m", "supportdesk.cli", "run", "--port", str(port)]
        log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(port, server)
        measure(port, token, 4, 40)  # warm every worker process

        cores = os.cpu_count() or 1
        print(
            "supportdesk phone webhooks: signed form post -> TwiML, "
            f"`supportdesk run` on SQLite ({cores} CPUs)"
        )
        print(
            "  one call = incoming, gather 1, agent leg answered, dial completed, status completed"
        )
        load_before = os.getloadavg()[0]
        if args.pause:
            print(f"  a pause of {args.pause * 1000:.0f} ms between a call's steps")
        results = [
            measure(port, token, c, args.calls, server.pid, args.pause) for c in args.concurrency
        ]
        for r in results:
            p50, p95, p99 = r["all"]
            failed = f", first: {r['failures'][0]}" if r["failures"] else ""
            print(
                f"  {r['concurrency']:>2} concurrent call(s): p50 {p50:5.1f} ms   "
                f"p95 {p95:5.1f} ms   p99 {p99:5.1f} ms   {r['rps']:6.1f} requests/s   "
                f"{r['cps']:5.1f} calls/s   CPU ms/request: server {r['cpu_ms']:.1f}, "
                f"this client {r['client_ms']:.1f}   "
                f"({r['calls']} calls, {r['requests']} requests, "
                f"{len(r['failures'])} failures{failed})"
            )
            steps = "   ".join(f"{kind} {q[1]:.1f}" for kind, q in r["steps"].items())
            print(f"      p95 per step (ms): {steps}")
        per_step = "   ".join(f"{kind} {n}" for kind, n in statements.items())
        print(
            f"  SQL statements per step, registered caller (in-process): {per_step}   "
            f"({sum(statements.values())} per call)"
        )
        print(
            f"  load average before: {load_before:.1f} on {cores} cores (other programs share them)"
        )
        print(f"  {PEER}")
        top = max(results, key=lambda r: r["concurrency"])
        met = top["all"][1] <= TARGET_P95_MS and not top["failures"]
        verdict = "not judged: paused" if args.pause else ("met" if met else "NOT met")
        print(
            f"  target: p95 <= {TARGET_P95_MS} ms with {TARGET_CALLS} concurrent calls on 2 cores, "
            f"no pause; at {top['concurrency']}: {top['all'][1]:.1f} ms, {verdict}"
        )
    finally:
        stop_server(server)
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
