"""A case's remote sessions over the API: whoever sees the case reads them, in two queries;
the agent's notes are for agents."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.remote import services
from supportdesk.remote.choices import Tool
from tests.api.conftest import Api
from tests.remote.conftest import T0

pytestmark = pytest.mark.django_db


def session(world, case, minutes: int):
    at = T0 + timedelta(minutes=minutes)
    request, _token = services.ask_consent(case, agent=world.agent, at=at)
    services.give_consent(
        request, contact=world.admin, ip="192.0.2.7", user_agent="Firefox/140.0", at=at
    )
    started = services.start_session(
        case, agent=world.agent, tool=Tool.TEAMVIEWER, session_id=f"S{minutes}",
        password_typed_by_user=True, at=at,
    )  # fmt: skip
    return services.end_session(started, agent=world.agent, notes="Done.", at=at)


def test_agents_read_the_sessions_with_their_consent(world, case):
    for minutes in (20, 40, 60):
        session(world, case, minutes)
    api = Api(world.agent)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/cases/{case.pk}/remote-sessions")
    assert response.status_code == 200
    rows = response.json()
    assert [row["session_id"] for row in rows] == ["S20", "S40", "S60"]
    assert rows[0]["tool"] == "teamviewer" and rows[0]["notes"] == "Done."
    assert rows[0]["agent"] == "joao@webplug.example"
    assert rows[0]["consent"]["consented_by"] == "Ana Silva"
    assert rows[0]["consent"]["ip_address"] == "192.0.2.7"
    reads = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 4  # token, case visible, sessions (+ the token's user)


def test_the_customer_reads_them_without_the_agents_notes(world, case):
    session(world, case, 20)
    rows = Api(world.admin.user).get(f"/cases/{case.pk}/remote-sessions").json()
    assert rows[0]["session_id"] == "S20" and rows[0]["notes"] is None


def test_another_organization_gets_a_404(world, case):
    session(world, case, 20)
    response = Api(world.outsider.user).get(f"/cases/{case.pk}/remote-sessions")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
