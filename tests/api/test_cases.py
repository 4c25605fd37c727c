"""Cases through the API as agents and customers check them: clocks, visibility, notes, errors."""

from datetime import UTC, datetime

import pytest
import time_machine

from supportdesk.tickets import services

#: Monday 4 March 2024, 10:00 in Lisbon (UTC+0 until the end of March).
MONDAY_10 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def clock(case: dict, metric: str) -> dict:
    return next(c for c in case["clocks"] if c["metric"] == metric)


def test_agent_opens_a_case_for_a_requester_and_sees_its_clocks(world, agent_api, monday):
    response = agent_api.post(
        "/cases",
        {"subject": "Mail is down", "body": "Since 9:30.", "requester": "+351 912 345 678"},
    )

    assert response.status_code == 201
    case = response.json()
    assert case["organization"] == "cliente-b"
    assert case["requester"] == "+351912345678"
    assert case["channel"] == "api"
    assert case["plan"] == "priority"
    assert case["coverage_detail"] == {
        "covered": True,
        "code": "covered",
        "reason": "covered by Priority",
    }
    # 4 working hours from Monday 10:00: 10-13 and 14-15 (lunch is closed).
    first = clock(case, "first_response")
    assert first["due"] == "2024-03-04T15:00:00Z"
    assert first["guaranteed"] is True
    assert first["paused"] is False
    assert first["met_at"] is None
    # 16 working hours: Monday 7h, Tuesday 8h, Wednesday 9:00-10:00.
    assert clock(case, "restoration")["due"] == "2024-03-06T10:00:00Z"
    assert case["next_due"] == "2024-03-04T15:00:00Z"
    assert case["received_at"] == "2024-03-04T10:00:00Z"
    assert response["Location"] == f"/api/cases/{case['id']}"
    detail = agent_api.client.get(response["Location"]).json()
    assert detail["clocks"] == case["clocks"]
    assert [m["body"] for m in detail["messages"]] == ["Since 9:30."]
    assert [e["kind"] for e in detail["events"]] == ["created", "clock_started", "clock_started"]


def test_agent_can_record_the_channel_and_the_organization(world, agent_api):
    response = agent_api.post(
        "/cases",
        {
            "subject": "Call",
            "body": "Phoned in.",
            "requester": "ana@cliente-b.pt",
            "organization": "cliente-b",
            "channel": "phone",
            "priority": "P1",
        },
    )

    assert response.status_code == 201
    case = response.json()
    assert (case["channel"], case["priority"], case["covered"]) == ("phone", "P1", True)
    assert "4h, 24/7" in clock(case, "restoration")["rule"]


def test_a_case_from_an_unknown_requester_is_kept_and_says_why_it_is_not_covered(agent_api):
    response = agent_api.post(
        "/cases", {"subject": "Hello", "body": "Who am I?", "requester": "nobody@example.com"}
    )

    assert response.status_code == 201
    case = response.json()
    assert case["covered"] is False
    assert case["organization"] is None
    assert case["coverage_detail"]["code"] in {"no_plan", "sender_not_registered"}
    assert all(not c["guaranteed"] for c in case["clocks"])


def test_an_agent_may_open_a_proactive_case_without_a_requester(world, agent_api):
    body = {"subject": "Maintenance", "body": "We patch tonight.", "organization": "outra"}
    response = agent_api.post("/cases", body)

    assert response.status_code == 201
    case = response.json()
    assert (case["organization"], case["requester"], case["covered"]) == ("outra", "", False)


def test_a_number_outside_the_numbering_plan_is_kept_not_refused(agent_api):
    response = agent_api.post("/cases", {"subject": "s", "body": "x", "requester": "+9 .(18 00"})

    assert response.status_code == 201
    assert (response.json()["requester"], response.json()["covered"]) == ("+91800", False)


def test_a_customer_opens_a_case_as_themselves(world, api):
    response = api(world.member.user).post("/cases", {"subject": "Printer", "body": "Jammed."})

    assert response.status_code == 201
    case = response.json()
    assert (case["organization"], case["requester"]) == ("cliente-b", "bruno@cliente-b.pt")
    assert case["channel"] == "api"
    assert case["covered"] is True
    assert "events" not in case


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("organization", "outra"),
        ("requester", "ana@cliente-b.pt"),
        ("channel", "phone"),
    ],
)
def test_a_customer_cannot_open_a_case_for_someone_else(world, api, field, value):
    body = {"subject": "Printer", "body": "Jammed.", field: value}
    response = api(world.member.user).post("/cases", body)

    assert response.status_code == 403
    assert response.json()["field"] == field


def test_a_customer_may_name_their_own_organization_and_address(world, api):
    body = {
        "subject": "Printer",
        "body": "Jammed.",
        "organization": "cliente-b",
        "requester": "BRUNO@cliente-b.pt",
    }
    assert api(world.member.user).post("/cases", body).status_code == 201


def test_visibility_admin_sees_the_organization_member_their_own_outsider_nothing(
    world, api, new_case
):
    members = new_case("bruno@cliente-b.pt")
    admins = new_case("ana@cliente-b.pt")
    others = new_case("olga@outra.pt")

    def ids(user) -> set[int]:
        response = api(user).get("/cases")
        assert response.status_code == 200
        return {c["id"] for c in response.json()["items"]}

    assert ids(world.agent) == {members.pk, admins.pk, others.pk}
    assert ids(world.admin.user) == {members.pk, admins.pk}
    assert ids(world.member.user) == {members.pk}
    assert ids(world.outsider.user) == {others.pk}

    outsider = api(world.outsider.user)
    assert outsider.get("/cases", organization="cliente-b").json()["items"] == []
    for path in (f"/cases/{members.pk}", f"/cases/{admins.pk}"):
        assert outsider.get(path).status_code == 404
    assert outsider.post(f"/cases/{members.pk}/replies", {"body": "hi"}).status_code == 404
    assert api(world.member.user).get(f"/cases/{admins.pk}").status_code == 404
    assert api(world.admin.user).get(f"/cases/{members.pk}").status_code == 200


def test_internal_notes_and_events_are_for_agents_only(world, api, agent_api, new_case):
    case = new_case("bruno@cliente-b.pt")
    note = agent_api.post(f"/cases/{case.pk}/notes", {"body": "Customer owes us money."})
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    reply = agent_api.post(f"/cases/{case.pk}/replies", {"body": "Looking into it."})
    assert reply.status_code == 201

    seen_by_agent = agent_api.get(f"/cases/{case.pk}").json()
    seen_by_member = api(world.member.user).get(f"/cases/{case.pk}").json()

    assert "Customer owes us money." in [m["body"] for m in seen_by_agent["messages"]]
    assert [m["body"] for m in seen_by_member["messages"]] == [
        "Nothing answers.",
        "Looking into it.",
    ]
    assert seen_by_member["events"] is None
    assert any(e["kind"] == "message" for e in seen_by_agent["events"])
    refused = api(world.member.user).post(f"/cases/{case.pk}/notes", {"body": "sneaky"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


def test_replies_meet_the_first_response_and_customers_follow_up(world, api, agent_api, new_case):
    case = new_case("bruno@cliente-b.pt")

    agent_api.post(f"/cases/{case.pk}/replies", {"body": "On it."})
    follow_up = api(world.member.user).post(f"/cases/{case.pk}/replies", {"body": "Thanks!"})

    assert follow_up.status_code == 201
    assert follow_up.json()["kind"] == "customer"
    detail = agent_api.get(f"/cases/{case.pk}").json()
    assert detail["status"] == "open"
    assert clock(detail, "first_response")["met_at"] is not None
    assert [m["kind"] for m in detail["messages"]] == ["customer", "agent", "customer"]


def test_agents_change_priority_status_assignee_level_and_team(world, agent_api, new_case):
    case = new_case("bruno@cliente-b.pt")

    response = agent_api.patch(
        f"/cases/{case.pk}",
        {
            "priority": "P1",
            "status": "waiting",
            "assignee": "JOAO@webplug.example",
            "level": "L2",
            "team": "geral",
        },
    )

    assert response.status_code == 200, response.content
    detail = response.json()
    assert (detail["priority"], detail["status"], detail["level"]) == ("P1", "waiting", "L2")
    assert (detail["assignee"], detail["team"]) == ("joao@webplug.example", "geral")
    restoration = clock(detail, "restoration")
    assert restoration["paused"] is True
    assert restoration["due"] is None
    assert "24/7" in restoration["rule"]
    kinds = {e["kind"] for e in detail["events"]}
    assert {"priority", "status", "assignee", "level", "team", "clock_paused"} <= kinds


def test_customers_cannot_change_a_case_and_outsiders_do_not_learn_it_exists(world, api, new_case):
    case = new_case("bruno@cliente-b.pt")

    assert api(world.member.user).patch(f"/cases/{case.pk}", {"priority": "P1"}).status_code == 403
    assert (
        api(world.outsider.user).patch(f"/cases/{case.pk}", {"priority": "P1"}).status_code == 404
    )


def test_a_closed_case_refuses_replies_with_a_stable_code(world, agent_api, new_case):
    case = new_case("bruno@cliente-b.pt")
    services.change_status(case, "closed", actor=world.agent)

    response = agent_api.post(f"/cases/{case.pk}/replies", {"body": "Too late."})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "closed"
    assert set(body) >= {"code", "detail", "field"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "no subject"}, "subject"),
        ({"subject": "", "body": "x", "requester": "ana@cliente-b.pt"}, "subject"),
        ({"subject": "s", "body": "x", "priority": "P9"}, "priority"),
        ({"subject": "s", "body": "x", "requester": "not an address"}, "requester"),
        ({"subject": "s", "body": "x", "requster": "a@b.pt"}, "requster"),
        (["subject", "body"], "body"),
        ({"subject": "s", "body": "x", "requester": "+999 1"}, "requester"),
        (
            {"subject": "s", "body": "x", "requester": "a@b.pt", "organization": "a b"},
            "organization",
        ),
        ({"subject": "s\x00", "body": "x", "requester": "a@b.pt"}, "subject"),
        ({"subject": "s", "body": "\ud800", "requester": "a@b.pt"}, "body"),
    ],
)
def test_validation_errors_are_422_and_name_the_field(agent_api, body, field):
    response = agent_api.post("/cases", body)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert field in {e["field"] for e in error["errors"]}


def test_naming_an_unknown_organization_is_a_404_with_the_field(agent_api):
    body = {"subject": "s", "body": "x", "requester": "a@b.pt", "organization": "nope"}
    response = agent_api.post("/cases", body)

    assert response.status_code == 404
    assert (response.json()["code"], response.json()["field"]) == ("not_found", "organization")


def test_a_body_that_is_not_json_is_a_400(agent_api):
    response = agent_api.client.post("/api/cases", "{oops", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed"


def test_unknown_ids_are_404_and_absurd_ones_422(world, agent_api):
    assert agent_api.get("/cases/999999").status_code == 404
    assert agent_api.get("/cases/999999").json()["code"] == "not_found"
    assert agent_api.get(f"/cases/{2**70}").status_code == 422
    assert agent_api.get("/cases/abc").status_code == 422
    assert agent_api.get("/cases", limit=1000).json()["field"] == "limit"
    response = agent_api.patch("/cases/1", {"assignee": "nobody@example.com"})
    assert response.status_code == 404
    assert response.json()["field"] is None  # the case, not the assignee
