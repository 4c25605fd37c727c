"""Tokens for scripts, sessions with CSRF for browsers, and 401 for everyone else."""

from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from supportdesk.accounts.models import ApiToken
from tests.api.conftest import Api

CASE = {"subject": "VPN", "body": "It drops."}


def test_without_credentials_every_operation_is_401(world):
    client = Client()

    for path in ("/api/cases", "/api/me", "/api/organizations", "/api/plans", "/api/agents"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthenticated"
    assert client.post("/api/cases", CASE, content_type="application/json").status_code == 401


def test_a_token_authenticates_and_a_bad_one_is_401(world):
    assert Api(world.member.user).get("/me").json()["email"] == "bruno@cliente-b.pt"

    bad = Client(headers={"authorization": "Bearer sd_not-a-token"})
    assert bad.get("/api/me").status_code == 401
    assert Client(headers={"authorization": "Basic Zm9vOmJhcg=="}).get("/api/me").status_code == 401


def test_a_bad_token_is_not_rescued_by_a_session(world):
    client = Client(headers={"authorization": "Bearer sd_wrong"})
    client.force_login(world.agent)

    assert client.get("/api/me").status_code == 401


def test_an_inactive_users_token_stops_working(world):
    api = Api(world.member.user)
    world.member.user.is_active = False
    world.member.user.save()

    assert api.get("/me").status_code == 401


def test_session_writes_need_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.member.user)

    refused = browser.post("/api/cases", CASE, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"

    assert browser.get("/api/me").status_code == 200  # hands out the CSRF cookie
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = browser.post(
        "/api/cases", CASE, content_type="application/json", headers={"x-csrftoken": csrf}
    )
    assert accepted.status_code == 201
    assert accepted.json()["channel"] == "web"


def test_a_signed_in_user_creates_a_token_and_a_script_uses_it(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.admin.user)
    browser.get("/api/me")
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value

    response = browser.post(
        "/api/tokens",
        {"name": "nightly export"},
        content_type="application/json",
        headers={"x-csrftoken": csrf},
    )

    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "nightly export"
    assert created["secret"].startswith("sd_")
    assert ApiToken.objects.get(pk=created["id"]).digest != created["secret"]
    script = Client(headers={"authorization": f"Bearer {created['secret']}"})
    assert script.get("/api/me").json()["email"] == "ana@cliente-b.pt"
    listed = script.get("/api/tokens").json()
    assert "secret" not in listed[0]
    assert created["id"] in {t["id"] for t in listed}


def test_a_token_cannot_mint_more_tokens(world):
    response = Api(world.agent).post("/tokens", {"name": "successor"})

    assert response.status_code == 401


def test_tokens_are_revoked_by_their_owner_only(world):
    owner = Api(world.member.user)
    token_id = owner.get("/tokens").json()[0]["id"]

    assert Api(world.outsider.user).delete(f"/tokens/{token_id}").status_code == 404
    assert owner.delete(f"/tokens/{token_id}").status_code == 204
    assert owner.get("/me").status_code == 401


def test_the_create_token_command_prints_a_working_secret(world):
    out = StringIO()

    call_command("create_token", "JOAO@webplug.example", "bench", stdout=out)

    secret = out.getvalue().strip()
    client = Client(headers={"authorization": f"Bearer {secret}"})
    assert client.get("/api/me").json()["agent"] is True
