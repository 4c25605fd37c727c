"""The Statuspage-compatible JSON: Statuspage's field names and value sets (written here as a
schema), and the audience rule for anonymous readers, customers of A and B, and agents."""

from datetime import timedelta
from typing import Literal

import pytest
import time_machine
from django.test import Client
from pydantic import BaseModel, ConfigDict

from supportdesk.accounts.services import issue_token
from supportdesk.status import services
from supportdesk.status.choices import ComponentStatus, Impact, IncidentStatus
from tests.factories import World
from tests.status.conftest import SINCE, Status

AT = SINCE + timedelta(days=1)

ComponentStatusValue = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]
NoticeStatus = Literal[
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "postmortem",
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Strict):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str | None


class Component(Strict):
    id: str
    name: str
    status: ComponentStatusValue
    created_at: str
    updated_at: str
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool
    components: list[str] | None = None


class AffectedComponent(Strict):
    code: str
    name: str
    new_status: ComponentStatusValue


class IncidentUpdate(Strict):
    id: str
    status: NoticeStatus
    body: str
    incident_id: str
    created_at: str
    updated_at: str
    display_at: str
    affected_components: list[AffectedComponent] | None


class Incident(Strict):
    id: str
    name: str
    status: NoticeStatus
    created_at: str
    updated_at: str
    monitoring_at: str | None
    resolved_at: str | None
    impact: Literal["none", "minor", "major", "critical", "maintenance"]
    shortlink: str | None
    started_at: str
    page_id: str
    incident_updates: list[IncidentUpdate]
    components: list[Component]


class Maintenance(Incident):
    scheduled_for: str
    scheduled_until: str


class PageStatus(Strict):
    indicator: Literal["none", "minor", "major", "critical"]
    description: str


class Summary(Strict):
    page: Page
    components: list[Component]
    incidents: list[Incident]
    scheduled_maintenances: list[Maintenance]
    status: PageStatus


class StatusOnly(Strict):
    page: Page
    status: PageStatus


class Components(Strict):
    page: Page
    components: list[Component]


class Incidents(Strict):
    page: Page
    incidents: list[Incident]


class Maintenances(Strict):
    page: Page
    scheduled_maintenances: list[Maintenance]


ENDPOINTS = {
    "summary.json": Summary,
    "status.json": StatusOnly,
    "components.json": Components,
    "incidents.json": Incidents,
    "incidents/unresolved.json": Incidents,
    "scheduled-maintenances.json": Maintenances,
    "scheduled-maintenances/upcoming.json": Maintenances,
    "scheduled-maintenances/active.json": Maintenances,
}


@pytest.fixture
def outage(world: World, status: Status):
    incident = services.open_incident(
        name="PBX unreachable",
        impact=Impact.MAJOR,
        status=IncidentStatus.IDENTIFIED,
        body="A power supply failed.",
        components={"pbx-cliente-b": ComponentStatus.MAJOR_OUTAGE},
        author=world.agent,
        at=AT,
    )
    services.schedule_maintenance(
        name="Trunk firmware",
        window=services.Window(AT + timedelta(days=2), AT + timedelta(days=2, hours=2)),
        body="Calls may drop for a minute.",
        components=["sip-trunk-lisboa"],
        author=world.agent,
        at=AT,
    )
    services.schedule_maintenance(
        name="PBX upgrade",
        window=services.Window(AT + timedelta(days=3), AT + timedelta(days=3, hours=1)),
        body="New version.",
        components=["pbx-cliente-b"],
        author=world.agent,
        at=AT,
    )
    return incident


def bearer(user) -> Client:
    return Client(headers={"authorization": f"Bearer {issue_token(user, 'monitor')}"})


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_endpoint_speaks_statuspage(world: World, status: Status, outage, endpoint):
    for client in (Client(), bearer(world.admin.user), bearer(world.agent)):
        response = client.get(f"/status/api/v2/{endpoint}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json"
        ENDPOINTS[endpoint].model_validate(response.json())


def component_ids(body: dict) -> set[str]:
    return {c["id"] for c in body["components"] if not c["group"]}


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_summary_follows_the_audience_rule(world: World, status: Status, outage):
    anonymous = Client().get("/status/api/v2/summary.json").json()
    customer_a = bearer(world.admin.user).get("/status/api/v2/summary.json").json()
    customer_b = bearer(world.outsider.user).get("/status/api/v2/summary.json").json()
    agent = bearer(world.agent).get("/status/api/v2/summary.json").json()
    session = Client()
    session.force_login(world.member.user)
    member = session.get("/status/api/v2/summary.json").json()

    assert component_ids(anonymous) == component_ids(customer_b) == {"sip-trunk-lisboa"}
    assert component_ids(customer_a) == component_ids(member) == component_ids(agent)
    assert component_ids(agent) == {"sip-trunk-lisboa", "pbx-cliente-b"}

    assert anonymous["incidents"] == customer_b["incidents"] == []
    assert anonymous["status"]["indicator"] == "none"
    assert [i["name"] for i in customer_a["incidents"]] == ["PBX unreachable"]
    assert customer_a["status"]["indicator"] == "critical"
    update = customer_a["incidents"][0]["incident_updates"][0]
    assert update["affected_components"][0]["new_status"] == "major_outage"

    assert [m["name"] for m in anonymous["scheduled_maintenances"]] == ["Trunk firmware"]
    assert [m["name"] for m in customer_a["scheduled_maintenances"]] == [
        "Trunk firmware",
        "PBX upgrade",
    ]
    group = next(c for c in customer_a["components"] if c["group"])
    assert group["id"] == "voice" and group["status"] == "major_outage"
    assert set(group["components"]) == {"sip-trunk-lisboa", "pbx-cliente-b"}


@pytest.mark.django_db
def test_a_bad_token_is_refused_not_served_as_anonymous(world: World, status: Status):
    response = Client(headers={"authorization": "Bearer nonsense"}).get(
        "/status/api/v2/status.json"
    )
    assert response.status_code == 401


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_json_answers_304_to_its_etag(world: World, status: Status, outage):
    anonymous = Client().get("/status/api/v2/summary.json")
    assert "public" in anonymous["Cache-Control"] and "max-age=30" in anonymous["Cache-Control"]
    client = bearer(world.admin.user)
    first = client.get("/status/api/v2/summary.json")
    assert "private" in first["Cache-Control"]
    assert (
        client.get(
            "/status/api/v2/summary.json", headers={"if-none-match": first["ETag"]}
        ).status_code
        == 304
    )


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_an_incident_shared_with_a_private_component_never_names_it(world: World, status: Status):
    incident = services.open_incident(
        name="Carrier trouble",
        impact=Impact.MINOR,
        status=IncidentStatus.INVESTIGATING,
        body="Calls fail now and then.",
        components={
            "sip-trunk-lisboa": ComponentStatus.DEGRADED,
            "pbx-cliente-b": ComponentStatus.PARTIAL_OUTAGE,
        },
        author=world.agent,
        at=AT,
    )
    for client in (Client(), bearer(world.outsider.user)):
        body = client.get("/status/api/v2/incidents/unresolved.json").json()
        (shown,) = body["incidents"]
        assert [c["id"] for c in shown["components"]] == ["sip-trunk-lisboa"]
        codes = [a["code"] for a in shown["incident_updates"][0]["affected_components"]]
        assert codes == ["sip-trunk-lisboa"]
        assert b"pbx-cliente-b" not in client.get("/status/api/v2/summary.json").content
    api = bearer(world.outsider.user).get(f"/api/status/incidents/{incident.pk}").json()
    assert api["components"] == ["sip-trunk-lisboa"]
    assert api["updates"][0]["components"] == {"sip-trunk-lisboa": "degraded_performance"}
    mine = bearer(world.admin.user).get(f"/api/status/incidents/{incident.pk}").json()
    assert mine["components"] == ["pbx-cliente-b", "sip-trunk-lisboa"]
