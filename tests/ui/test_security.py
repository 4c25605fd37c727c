"""Sign-in that resists guessing, a reset that tells no one who is registered, and the headers a
security review expects: a strict Content-Security-Policy everywhere, HTTPS enforced (HSTS,
redirect) under the production settings documented in the README, and `check --deploy` clean.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "secret-pass-123"
CSRF_TOKEN = re.compile(r"(?<=csrfmiddlewaretoken\" value=\")\w+|(?<=X-CSRFToken\": \")\w+")
LIMIT = settings.SIGNIN_FAILURE_LIMIT
MINUTES = settings.SIGNIN_LOCKOUT_MINUTES

#: The production environment, as README.md documents it.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#Q2v!pL9zR4x@M1c$W8n^T3b&Y6h*J0d(F5s)G2a-E7u+Z9q=V4o[N1i]B8r{X3y}",
    "ALLOWED_HOSTS": "desk.example.com",
    "SECURE_COOKIES": "true",
    "PROXY_COUNT": "1",
}


def sign_in(client: Client, email: str, password: str, **headers):
    return client.post(reverse("login"), {"username": email, "password": password}, **headers)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.mark.django_db
def test_guessing_a_customers_password_locks_the_address(world):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        assert sign_in(guesser, "ana@cliente-b.pt", "guess").status_code == 200
    locked = sign_in(guesser, "ana@cliente-b.pt", "guess")
    assert locked.status_code == 429
    assert f"Too many failed sign-ins. Try again in {MINUTES} minutes." in locked.content.decode()
    # While locked, the right password is refused too, from this client or any other.
    assert sign_in(guesser, "ana@cliente-b.pt", PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(owner, "ANA@cliente-b.pt", PASSWORD).status_code == 429
    assert not signed_in(guesser) and not signed_in(owner)
    # Another address from another client is unaffected.
    colleague = Client(REMOTE_ADDR="198.51.100.21")
    assert sign_in(colleague, "bruno@cliente-b.pt", PASSWORD).status_code == 302
    assert signed_in(colleague)


@pytest.mark.django_db
def test_the_lockout_is_explained_in_the_visitors_language(world):
    guesser = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(LIMIT):
        response = sign_in(guesser, "joao@webplug.example", "guess", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 429
    page = response.content.decode()
    assert f"Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za {MINUTES} minut." in page
    assert 'id="id_password"' in page  # the form again, to use once the time is up
    pt = sign_in(guesser, "joao@webplug.example", PASSWORD, HTTP_ACCEPT_LANGUAGE="pt")
    assert "Tente novamente dentro de" in pt.content.decode()


@pytest.mark.django_db
def test_one_client_guessing_many_addresses_is_locked_out(world):
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(LIMIT):
        response = sign_in(sprayer, f"person{number}@cliente-b.pt", "guess")
    assert response.status_code == 429
    assert sign_in(sprayer, "bruno@cliente-b.pt", PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.22")
    assert sign_in(elsewhere, "bruno@cliente-b.pt", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_admin_sign_in_is_guarded_too(world):
    guesser = Client(REMOTE_ADDR="203.0.113.10")
    form = {"username": "joao@webplug.example", "password": "guess", "next": "/admin/"}
    for _ in range(LIMIT):
        response = guesser.post("/admin/login/", form)
    assert response.status_code == 429
    assert "Too many failed sign-ins." in response.content.decode()


@pytest.mark.django_db
def test_an_administrator_lifts_a_lockout_in_the_admin(world):
    guesser = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(LIMIT):
        sign_in(guesser, "bruno@cliente-b.pt", "guess")
    assert sign_in(guesser, "bruno@cliente-b.pt", PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(User.objects.create_superuser("root@desk.example", PASSWORD))
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "bruno@cliente-b.pt" in listing.content.decode()
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    done = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert done.status_code == 302 and not AccessAttempt.objects.exists()
    assert sign_in(guesser, "bruno@cliente-b.pt", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_password_reset_answers_alike_for_registered_and_unknown_addresses(world):
    def ask(email: str) -> str:
        response = Client().post(reverse("password_reset"), {"email": email}, follow=True)
        assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
        return CSRF_TOKEN.sub("", response.content.decode())  # differs per visit

    assert ask("ana@cliente-b.pt") == ask("nobody@cliente-b.pt")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_pages_and_the_api_docs_carry_a_strict_content_security_policy(world, client):
    for path in (reverse("login"), "/api/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = dict(
            d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";")
        )
        assert policy["default-src"] == "'self'"
        assert policy["script-src"].split()[0] == "'self'"
        assert "unsafe-inline" not in policy["script-src"]
        assert "unsafe-eval" not in policy["script-src"]
        assert "unsafe-inline" not in policy["style-src"]
        assert policy["frame-ancestors"] == "'none'"
        assert "http" not in response["Content-Security-Policy"]  # no outside host allowed


@pytest.mark.django_db
def test_inline_scripts_carry_the_pages_nonce(world, client):
    client.force_login(world.agent)
    response = client.get(reverse("sla_dashboard"))
    nonce = response["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    page = response.content.decode()
    assert page.count("<style") == page.count(f'<style nonce="{nonce}"') >= 1  # the chart's


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTDESK_TEST")}
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**environment, **env, "DJANGO_SETTINGS_MODULE": "supportdesk.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="desk.example.com")
plain = client.get("/login/")
proxied = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({"plain": [plain.status_code, plain.get("Location")],
                  "https": [proxied.status_code, dict(proxied.headers)],
                  "secure_cookies": [bool(c["secure"]) for c in proxied.cookies.values()]}))
"""


def test_production_settings_enforce_https(tmp_path):
    done = run_with(
        {**PRODUCTION_ENV, "SUPPORTDESK_VAR": str(tmp_path)}, sys.executable, "-c", PROBE
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://desk.example.com/login/"]
    status, headers = seen["https"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Content-Security-Policy" in headers
    assert seen["secure_cookies"] and all(seen["secure_cookies"])


def test_check_deploy_is_clean_under_the_production_settings(tmp_path):
    supportdesk = Path(sys.executable).with_name("supportdesk")
    env = {**PRODUCTION_ENV, "SUPPORTDESK_VAR": str(tmp_path)}
    done = run_with(env, str(supportdesk), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
