"""Incidents through the REST API, and the help desk's part: the cases an incident caused are
linked to it, and one update answers each of them once, in each contact's language."""

from datetime import UTC, timedelta

import pytest
import time_machine
from django.test import Client

from supportdesk.accounts.services import issue_token, save_contact
from supportdesk.status import page
from supportdesk.status.models import Component
from supportdesk.tickets import services as tickets
from supportdesk.tickets.choices import MessageKind
from supportdesk.tickets.choices import Status as CaseStatus
from supportdesk.tickets.models import Message, OutboundMessage
from tests.factories import World
from tests.status.conftest import SINCE, Status

AT = SINCE + timedelta(days=2)


class Api:
    def __init__(self, user):
        self.client = Client(headers={"authorization": f"Bearer {issue_token(user, 'tests')}"})

    def post(self, path: str, body: dict):
        return self.client.post(f"/api/status{path}", body, content_type="application/json")

    def get(self, path: str):
        return self.client.get(f"/api/status{path}")


DECLARE = {
    "name": "PBX unreachable",
    "names": {"pt": "Central telefónica inacessível"},
    "impact": "major",
    "status": "investigating",
    "body": "We are looking into it.",
    "bodies": {"pt": "Estamos a analisar."},
    "components": {"pbx-cliente-b": "major_outage"},
}


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_incident_lifecycle_through_the_api_recomputes_uptime(world: World, status: Status):
    agent = Api(world.agent)
    created = agent.post("/incidents", DECLARE)
    assert created.status_code == 201, created.content
    incident = created.json()
    assert incident["components"] == ["pbx-cliente-b"]
    assert Component.objects.get(slug="pbx-cliente-b").status == "major_outage"

    with time_machine.travel(AT + timedelta(hours=2), tick=False):
        update = agent.post(
            f"/incidents/{incident['id']}/updates",
            {
                "status": "resolved",
                "body": "Fixed.",
                "components": {"pbx-cliente-b": "operational"},
            },
        )
    assert update.status_code == 201, update.content
    assert update.json()["status"] == "resolved" and update.json()["resolved_at"]
    again = agent.post(
        f"/incidents/{incident['id']}/updates", {"status": "monitoring", "body": "?"}
    )
    assert again.status_code == 409 and again.json()["code"] == "resolved"

    pbx = Component.objects.get(slug="pbx-cliente-b")
    assert pbx.status == "operational"
    (row,) = page.rows([pbx], end=AT + timedelta(hours=3), zone=UTC)
    today = row.days[-1]
    assert today.worst == "major_outage" and today.outage == timedelta(hours=2)
    assert row.days[-2].worst == "operational"


@pytest.mark.django_db
def test_only_agents_declare_incidents_and_unknown_components_are_named(
    world: World, status: Status
):
    refused = Api(world.admin.user).post("/incidents", DECLARE)
    assert refused.status_code == 403
    unknown = Api(world.agent).post(
        "/incidents", {**DECLARE, "components": {"pbx-x": "major_outage"}}
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "components.pbx-x"
    bad = Api(world.agent).post("/incidents", {**DECLARE, "impact": "huge"})
    assert bad.status_code == 422


@pytest.mark.django_db
def test_customers_read_their_components_and_incidents_others_get_404(world: World, status: Status):
    incident = Api(world.agent).post("/incidents", DECLARE).json()
    assert {c["id"] for c in Api(world.admin.user).get("/components").json()} == {
        "sip-trunk-lisboa",
        "pbx-cliente-b",
    }
    assert {c["id"] for c in Api(world.outsider.user).get("/components").json()} == {
        "sip-trunk-lisboa"
    }
    assert Api(world.admin.user).get(f"/incidents/{incident['id']}").status_code == 200
    assert Api(world.outsider.user).get(f"/incidents/{incident['id']}").status_code == 404


@pytest.mark.django_db
def test_maintenance_puts_components_under_maintenance_and_back(world: World, status: Status):
    agent = Api(world.agent)
    body = {
        "name": "Trunk firmware",
        "starts_at": "2026-03-10T22:00:00Z",
        "minutes": 60,
        "body": "Calls may drop.",
        "components": ["sip-trunk-lisboa"],
    }
    created = agent.post("/maintenances", body)
    assert created.status_code == 201, created.content
    path = f"/maintenances/{created.json()['id']}/updates"
    assert agent.post(path, {"status": "in_progress", "body": "Started."}).status_code == 201
    assert Component.objects.get(slug="sip-trunk-lisboa").status == "under_maintenance"
    assert agent.post(path, {"status": "completed", "body": "Done."}).status_code == 201
    assert Component.objects.get(slug="sip-trunk-lisboa").status == "operational"
    assert agent.post(path, {"status": "verifying", "body": "?"}).status_code == 409


@pytest.mark.django_db
def test_one_update_answers_each_linked_case_once_in_its_contacts_language(
    world: World, status: Status
):
    rita = save_contact(
        world.org, name="Rita", role="member", email="rita@cliente-b.pt", language="pt"
    )
    before = tickets.open_case(
        subject="Old", body="x", channel="web", contact=world.member, at=AT - timedelta(days=1)
    )
    english = tickets.open_case(
        subject="No dial tone", body="x", channel="web", contact=world.member, at=AT
    )
    portuguese = tickets.open_case(
        subject="Sem linha", body="x", channel="email", contact=rita, at=AT
    )
    elsewhere = tickets.open_case(
        subject="Ours too?", body="x", channel="web", contact=world.outsider, at=AT
    )
    agent = Api(world.agent)
    with time_machine.travel(AT + timedelta(minutes=5), tick=False):
        incident = agent.post("/incidents", DECLARE).json()
    path = f"/incidents/{incident['id']}"
    with time_machine.travel(AT + timedelta(minutes=10), tick=False):
        linked = agent.post(f"{path}/cases", {"since": (AT - timedelta(minutes=1)).isoformat()})
    # The PBX is Cliente B's: the other organization's case and the older one stay apart.
    assert linked.json() == {"linked": 2}
    assert agent.post(f"{path}/cases", {"cases": [english.pk]}).json() == {"linked": 0}

    update = {
        "status": "identified",
        "body": "A power supply failed; replaced within the hour.",
        "bodies": {"pt": "Uma fonte de alimentação avariou; substituída dentro de uma hora."},
        "answer_cases": True,
    }
    with time_machine.travel(AT + timedelta(minutes=20), tick=False):
        assert agent.post(f"{path}/updates", update).status_code == 201

    def replies(case):
        return list(Message.objects.filter(case=case, kind=MessageKind.AGENT))

    (english_reply,) = replies(english)
    assert english_reply.body.startswith("PBX unreachable: Identified")
    assert "A power supply failed" in english_reply.body
    (portuguese_reply,) = replies(portuguese)
    assert portuguese_reply.body.startswith("Central telefónica inacessível: Identificado")
    assert "Uma fonte de alimentação avariou" in portuguese_reply.body
    assert replies(elsewhere) == [] and replies(before) == []
    assert OutboundMessage.objects.filter(case=portuguese, to="rita@cliente-b.pt").count() == 1

    with time_machine.travel(AT + timedelta(minutes=50), tick=False):
        resolved = {
            "status": "resolved",
            "body": "Restored.",
            "components": {"pbx-cliente-b": "operational"},
            "answer_cases": True,
            "resolve_cases": True,
        }
        assert agent.post(f"{path}/updates", resolved).status_code == 201
    assert len(replies(english)) == len(replies(portuguese)) == 2
    english.refresh_from_db()
    elsewhere.refresh_from_db()
    assert english.status == CaseStatus.RESOLVED
    assert elsewhere.status != CaseStatus.RESOLVED


@pytest.mark.django_db
def test_an_agent_declares_links_and_answers_from_the_workspace(world: World, status: Status):
    case = tickets.open_case(subject="No dial tone", body="x", channel="web", contact=world.member)
    agent = Client()
    agent.force_login(world.agent)
    declared = agent.post(
        "/desk/status/",
        {
            "name": "PBX unreachable",
            "impact": "major",
            "status": "investigating",
            "body": "Looking.",
            "components": ["pbx-cliente-b"],
            "component_status": "major_outage",
        },
    )
    assert declared.status_code == 302
    path = declared["Location"]
    assert Component.objects.get(slug="pbx-cliente-b").status == "major_outage"
    agent.post(f"{path}link", {"case": case.pk})
    answered = agent.post(
        path,
        {
            "status": "resolved",
            "body": "Back.",
            "components": ["pbx-cliente-b"],
            "component_status": "operational",
            "answer_cases": "on",
            "resolve_cases": "on",
        },
    )
    assert answered.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert Message.objects.filter(case=case, kind=MessageKind.AGENT).count() == 1
    assert "PBX unreachable" in agent.get(path).content.decode()
    customer = Client()
    customer.force_login(world.admin.user)
    assert customer.get("/desk/status/").status_code == 404
