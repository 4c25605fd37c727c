"""Clients that talk to the API the way its users do: scripts with a token, browsers with a
session."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from supportdesk.accounts.models import User
from supportdesk.accounts.services import issue_token
from supportdesk.tickets.models import Case
from tests.factories import World


class Api:
    """A token-authenticated client speaking JSON."""

    def __init__(self, user: User | None, **client_options: Any):
        headers = {}
        if user is not None:
            headers["authorization"] = f"Bearer {issue_token(user, 'tests')}"
        self.client = Client(headers=headers, **client_options)

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api{path}", params)

    def post(self, path: str, body: Any):
        return self.client.post(f"/api{path}", body, content_type="application/json")

    def patch(self, path: str, body: Any):
        return self.client.patch(f"/api{path}", body, content_type="application/json")

    def delete(self, path: str):
        return self.client.delete(f"/api{path}")


@pytest.fixture
def api(world: World) -> Callable[[User | None], Api]:
    return Api


@pytest.fixture
def agent_api(world: World) -> Api:
    return Api(world.agent)


@pytest.fixture
def new_case(world: World, agent_api: Api) -> Callable[..., Case]:
    """Open a case through the API as an agent, for ``requester``; returns the row."""

    def make(requester: str = "bruno@cliente-b.pt", **fields: Any) -> Case:
        body = {"subject": "Server down", "body": "Nothing answers.", "requester": requester}
        response = agent_api.post("/cases", {**body, **fields})
        assert response.status_code == 201, response.content
        return Case.objects.get(pk=response.json()["id"])

    return make
