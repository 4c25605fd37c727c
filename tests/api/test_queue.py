"""The case list: ordered by what is due, filtered, paginated in the database, and costing the
same number of queries for 5 cases as for 50."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.tickets import services
from supportdesk.tickets.models import Case
from tests.api.conftest import Api

MONDAY_10 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["items"]]


def open_case(world, at: datetime, priority: str = "P3", contact=None) -> Case:
    return services.open_case(
        subject=f"{priority} at {at:%H:%M}",
        body="...",
        channel="email",
        priority=priority,
        contact=contact or world.member,
        at=at,
    )


def test_the_list_is_ordered_by_next_due_with_nothing_due_last(world, agent_api):
    early = open_case(world, MONDAY_10)
    later = open_case(world, MONDAY_10 + timedelta(hours=1))
    urgent = open_case(world, MONDAY_10 + timedelta(hours=2), priority="P1")
    answered = open_case(world, MONDAY_10 - timedelta(hours=1))
    services.change_status(answered, "resolved", actor=world.agent, at=MONDAY_10)
    services.post_reply(answered, author=world.agent, body="done", at=MONDAY_10, notify=False)

    assert ids(agent_api.get("/cases")) == [early.pk, later.pk, urgent.pk, answered.pk]
    dues = [c["next_due"] for c in agent_api.get("/cases").json()["items"]]
    assert dues[:3] == sorted(dues[:3])
    assert dues[3] is None
    assert ids(agent_api.get("/cases", order="-received_at")) == [
        urgent.pk,
        later.pk,
        early.pk,
        answered.pk,
    ]


def test_filters(world, agent_api):
    mine = open_case(world, MONDAY_10, priority="P1")
    theirs = open_case(world, MONDAY_10, contact=world.outsider)
    services.assign(mine, assignee=world.agent, actor=world.agent, at=MONDAY_10)
    services.change_status(theirs, "waiting", actor=world.agent, at=MONDAY_10)
    uncovered = services.open_case(
        subject="?", body="?", channel="email", sender="stranger@example.com", at=MONDAY_10
    )
    with time_machine.travel(MONDAY_10 + timedelta(days=1), tick=False):
        services.sweep()  # the first response of the open cases breaches; the paused one too

    assert ids(agent_api.get("/cases", priority="P1")) == [mine.pk]
    assert ids(agent_api.get("/cases", status="waiting")) == [theirs.pk]
    assert ids(agent_api.get("/cases", organization="outra")) == [theirs.pk]
    assert ids(agent_api.get("/cases", assignee="JOAO@webplug.example")) == [mine.pk]
    assert ids(agent_api.get("/cases", channel="email", covered="false")) == [uncovered.pk]
    assert set(ids(agent_api.get("/cases", breached="true"))) == {mine.pk, theirs.pk}
    assert ids(agent_api.get("/cases", breached="false")) == [uncovered.pk]
    assert agent_api.get("/cases", status="nonsense").json()["field"] == "status"


def test_pagination_happens_in_the_database(world, agent_api):
    cases = [open_case(world, MONDAY_10 + timedelta(minutes=i)) for i in range(7)]

    page = agent_api.get("/cases", limit=3, offset=3).json()

    assert page["count"] == 7
    assert (page["limit"], page["offset"]) == (3, 3)
    assert [c["id"] for c in page["items"]] == [c.pk for c in cases[3:6]]


def queries_for(client: Api, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, **params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_the_list_costs_the_same_queries_for_5_and_50_cases(
    world, api, django_assert_max_num_queries, who
):
    user = world.agent if who == "agent" else world.admin.user
    client = api(user)
    for i in range(5):
        open_case(world, MONDAY_10 + timedelta(minutes=i))
    few = queries_for(client, "/cases", limit=100)
    for i in range(45):
        open_case(world, MONDAY_10 + timedelta(hours=1, minutes=i))
    many = queries_for(client, "/cases", limit=100)

    assert few == many
    with django_assert_max_num_queries(5):  # token, dated rows, undated rows, breaches, count
        assert len(client.get("/cases", limit=100).json()["items"]) == 50


def test_a_case_and_the_directory_cost_constant_queries(
    world, agent_api, django_assert_max_num_queries
):
    case = open_case(world, MONDAY_10)
    for i in range(10):
        services.post_reply(case, author=world.agent, body=f"reply {i}", notify=False)

    with django_assert_max_num_queries(6):  # token, case, clocks, messages, files, events
        agent_api.get(f"/cases/{case.pk}")
    with django_assert_max_num_queries(4):
        agent_api.get("/contacts")
    with django_assert_max_num_queries(4):
        agent_api.get("/organizations")
    with django_assert_max_num_queries(3):
        agent_api.get("/plans")


@pytest.mark.parametrize("who", ["agent", "member"])
def test_opening_a_case_takes_a_small_constant_number_of_queries(world, api, who):
    """Token, requester (and its address), contract, targets, the case's number (one UPDATE
    of its provider's sequence), 4 inserts and the clocks of the answer; the peer
    (django-helpdesk) spends 20."""
    if who == "agent":
        client, body = api(world.agent), {"requester": "ana@cliente-b.pt"}
    else:
        client, body = api(world.member.user), {}
    body |= {"subject": "Down", "body": "..."}
    for _ in range(2):  # the second time with warm caches, as in steady traffic
        with CaptureQueriesContext(connection) as captured:
            assert client.post("/cases", body).status_code == 201
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 11, "\n".join(statements)


def test_the_count_stops_at_the_cap_and_says_so(world, api, monkeypatch):
    from supportdesk.api import cases as case_routes

    monkeypatch.setattr(case_routes, "COUNT_CAP", 3)
    for i in range(5):
        open_case(world, MONDAY_10 + timedelta(minutes=i))
    page = api(world.agent).get("/cases", limit=2).json()
    assert page["count"] == 3 and page["count_exact"] is False and len(page["items"]) == 2
    monkeypatch.setattr(case_routes, "COUNT_CAP", 10)
    page = api(world.agent).get("/cases", limit=2).json()
    assert page["count"] == 5 and page["count_exact"] is True
