"""Guessing tokens: bad tokens spend their client address's budget of failed sign-ins (the one
the sign-in forms share); once it is spent every bad token from there is a 429 that says for how
long, and the OpenAPI document declares it. A good token (a 256-bit secret, nothing to guess)
keeps working for the scripts that share the address."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.services import issue_token

LIMIT = settings.SIGNIN_FAILURE_LIMIT
MINUTES = settings.SIGNIN_LOCKOUT_MINUTES


def me(token: str, address: str, **headers):
    client = Client(REMOTE_ADDR=address, headers={"authorization": f"Bearer {token}", **headers})
    return client.get("/api/me")


@pytest.mark.django_db
def test_bad_tokens_lock_their_client_address_out(world):
    good = issue_token(world.agent, "script")
    for _ in range(LIMIT - 1):
        assert me("not-a-token", "203.0.113.30").status_code == 401
    refused = me("not-a-token", "203.0.113.30")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused.json()["detail"] == (
        f"Too many failed sign-ins from your address. Try again in {MINUTES} minutes."
    )
    assert refused["Retry-After"] == str(MINUTES * 60)
    assert me("another-guess", "203.0.113.30").status_code == 429
    # Another address has its own budget; a good token works from anywhere.
    assert me("not-a-token", "198.51.100.30").status_code == 401
    assert me(good, "203.0.113.30").status_code == 200


@pytest.mark.django_db
def test_the_refusal_is_in_the_callers_language(world):
    for _ in range(LIMIT):
        refused = me("not-a-token", "203.0.113.31", accept_language="pl")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Zbyt wiele nieudanych prób logowania")


@pytest.mark.django_db
def test_tokens_and_sign_in_forms_share_the_client_budget(world):
    for _ in range(LIMIT):
        me("not-a-token", "203.0.113.32")
    form = Client(REMOTE_ADDR="203.0.113.32").post(
        reverse("login"), {"username": "ana@cliente-b.pt", "password": "secret-pass-123"}
    )
    assert form.status_code == 429


@pytest.mark.django_db
def test_good_tokens_spend_nothing(world):
    good = issue_token(world.agent, "script")
    for _ in range(LIMIT * 2):
        assert me(good, "203.0.113.33").status_code == 200


def test_openapi_declares_the_429(client):
    document = client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/cases"]["get"]
    assert "429" in operation["responses"]
