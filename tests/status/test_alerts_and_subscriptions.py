"""Monitors push (Alertmanager's webhook) and people subscribe by email: a firing alert sets its
component's status and opens a draft for an agent to publish; its resolution restores the
status; subscribers confirm by link and every update carries the way out."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from supportdesk.channels.email.sending import send_pending
from supportdesk.status import services
from supportdesk.status.choices import ComponentStatus, Impact, IncidentStatus
from supportdesk.status.models import AlertDelivery, Incident, Subscription
from tests.factories import World
from tests.status.conftest import SINCE, Status

TOKEN = "monitor-secret-token"
AT = SINCE + timedelta(days=1)


@pytest.fixture(autouse=True)
def _token(settings):
    settings.STATUS_ALERTMANAGER_TOKEN = TOKEN
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def webhook(*alerts: dict, status: str = "firing") -> str:
    return json.dumps(
        {"version": "4", "status": status, "receiver": "desk", "groupLabels": {}, "alerts": alerts}
    )


def alert(fingerprint: str, component: str, severity: str, status: str = "firing") -> dict:
    return {
        "status": status,
        "labels": {"alertname": "PbxDown", "component": component, "severity": severity},
        "annotations": {"summary": "PBX not answering", "description": "SIP OPTIONS fail."},
        "startsAt": "2026-03-03T08:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }


def post(body: str, token: str = TOKEN):
    return Client().post(
        "/status/webhooks/alertmanager",
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )


def test_a_firing_alert_sets_the_status_and_opens_a_draft_only_agents_see(
    world: World, status: Status
):
    answer = post(webhook(alert("fp1", "pbx-cliente-b", "critical")))
    assert answer.status_code == 200, answer.content
    status.pbx.refresh_from_db()
    assert status.pbx.status == ComponentStatus.MAJOR_OUTAGE
    draft = Incident.objects.get()
    assert not draft.published and draft.impact == Impact.CRITICAL
    customer = Client()
    customer.force_login(world.admin.user)
    summary = customer.get("/status/api/v2/summary.json").json()
    assert summary["incidents"] == []
    assert summary["status"]["indicator"] == "critical"
    agent = Client()
    agent.force_login(world.agent)
    assert "draft" in agent.get("/desk/status/").content.decode()
    agent.post(f"/desk/status/incidents/{draft.pk}/publish")
    summary = customer.get("/status/api/v2/summary.json").json()
    assert [i["name"] for i in summary["incidents"]] == ["PBX not answering"]


def test_resolution_restores_the_status_the_alert_replaced_and_repeats_change_nothing(
    world: World, status: Status
):
    services.set_component_status(status.pbx, ComponentStatus.DEGRADED, actor=world.agent, at=AT)
    post(webhook(alert("fp2", "pbx-cliente-b", "warning")))
    post(webhook(alert("fp2", "pbx-cliente-b", "critical")))  # Alertmanager re-sends
    post(webhook(alert("fp3", "pbx-cliente-b", "critical")))
    status.pbx.refresh_from_db()
    assert status.pbx.status == ComponentStatus.MAJOR_OUTAGE
    assert Incident.objects.count() == 1
    post(webhook(alert("fp3", "pbx-cliente-b", "critical", "resolved"), status="resolved"))
    status.pbx.refresh_from_db()
    assert status.pbx.status == ComponentStatus.DEGRADED, "fp2 still fires"
    post(webhook(alert("fp2", "pbx-cliente-b", "warning", "resolved"), status="resolved"))
    status.pbx.refresh_from_db()
    assert status.pbx.status == ComponentStatus.DEGRADED, "back to what it was before"
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_the_webhook_refuses_strangers_and_says_what_is_wrong(status: Status):
    assert post(webhook(alert("x", "pbx-cliente-b", "critical")), token="wrong").status_code == 401
    bad = post("{not json")
    assert bad.status_code == 400 and bad.json()["detail"]
    assert AlertDelivery.objects.filter(body="{not json").exists(), "stored before it is read"
    unknown = post(webhook(alert("y", "no-such-thing", "critical")))
    assert unknown.status_code == 200
    assert "no-such-thing" in unknown.json()["ignored"][0]


def test_webhooks_are_off_without_a_token(settings, status: Status):
    settings.STATUS_ALERTMANAGER_TOKEN = ""
    assert post(webhook(alert("z", "pbx-cliente-b", "critical")), token="").status_code == 403


def _links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def test_a_subscriber_confirms_gets_updates_in_their_language_and_leaves(
    world: World, status: Status
):
    visitor = Client()
    page = visitor.get("/status/?lang=pt").content.decode()
    assert 'name="language" value="pt"' in page
    visitor.post(
        "/status/subscribe",
        {"email": "Rui@Example.pt", "component": "sip-trunk-lisboa", "language": "pt"},
    )
    send_pending()
    (confirmation,) = mail.outbox
    assert confirmation.to == ["rui@example.pt"]
    (confirm,) = _links(confirmation)
    path = confirm.split("://", 1)[1].split("/", 1)[1]
    assert Client().get("/" + path).status_code == 200
    assert Subscription.objects.get().confirmed_at is None, "opening the link confirms nothing"
    Client().post("/" + path)
    assert Subscription.objects.get().confirmed_at is not None

    mail.outbox.clear()
    services.open_incident(
        name="Trunk down",
        names={"pt": "Tronco em baixo"},
        impact=Impact.MAJOR,
        status=IncidentStatus.INVESTIGATING,
        body="Calls fail.",
        bodies={"pt": "As chamadas falham."},
        components={"sip-trunk-lisboa": ComponentStatus.MAJOR_OUTAGE},
        author=world.agent,
        at=AT,
    )
    services.open_incident(
        name="PBX down",
        impact=Impact.MAJOR,
        status=IncidentStatus.INVESTIGATING,
        body="Other component.",
        components={"pbx-cliente-b": ComponentStatus.MAJOR_OUTAGE},
        author=world.agent,
        at=AT,
    )
    send_pending()
    (update,) = mail.outbox
    assert "Tronco em baixo" in update.subject and "As chamadas falham." in update.body
    leave = update.extra_headers["List-Unsubscribe"].strip("<>")
    assert update.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    Client().post(
        "/" + leave.split("://", 1)[1].split("/", 1)[1], {"List-Unsubscribe": "One-Click"}
    )
    assert not Subscription.objects.exists()


def test_a_visitor_cannot_subscribe_to_a_private_component(status: Status):
    Client().post(
        "/status/subscribe",
        {"email": "x@example.com", "component": "pbx-cliente-b", "language": "en"},
    )
    assert not Subscription.objects.exists()
