"""Time and packs through the API and the history import: the same services, the same codes."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from supportdesk.accounts.services import issue_token
from supportdesk.billing.models import HourPack, TimeEntry
from supportdesk.world.history import HistoryError, import_history

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return Client(headers={"authorization": f"Bearer {issue_token(user, 'tests')}"})


def post(client: Client, path: str, body: dict):
    return client.post(f"/api/billing{path}", body, content_type="application/json")


def test_record_list_and_refuse_overlap_through_the_api(bw, case):
    agent = client_for(bw.agent)
    body = {"case_id": case.pk, "start": "2026-03-02T17:50:00Z", "end": "2026-03-02T18:10:00Z"}
    created = post(agent, "/time-entries", body)
    assert created.status_code == 201, created.content
    assert created.json()["source"] == "api" and created.json()["organization"] == "cliente-b"
    clash = post(agent, "/time-entries", {**body, "start": "2026-03-02T18:00:00Z"})
    assert clash.status_code == 409 and clash.json()["code"] == "overlap"
    reversed_ = post(agent, "/time-entries", {**body, "end": "2026-03-02T17:00:00Z"})
    assert reversed_.status_code == 400 and reversed_.json()["code"] == "end_before_start"
    listing = agent.get("/api/billing/time-entries", {"case_id": case.pk}).json()
    assert listing["count"] == 1


def test_packs_and_statement_through_the_api(bw, case):
    agent = client_for(bw.agent)
    pack = post(
        agent,
        "/packs",
        {"organization": "cliente-b", "kind": "single", "hours": "0.5", "purchased": "2026-01-05"},
    )
    assert pack.status_code == 201, pack.content
    post(
        agent,
        "/time-entries",
        {"case_id": case.pk, "start": "2026-03-02T17:50:00Z", "end": "2026-03-02T18:10:00Z"},
    )
    statement = agent.get("/api/billing/statements/cliente-b/2026-03")
    assert statement.status_code == 200
    data = statement.json()
    assert data["drawn"] == {"monthly": 0, "single": 30, "credit": 0}
    assert data["overage"]["amount"] == "22.50"
    admin = client_for(bw.admin.user)
    assert admin.get("/api/billing/statements/cliente-b/2026-03").json() == data
    assert (
        post(
            admin,
            "/time-entries",
            {"case_id": case.pk, "start": "2026-03-02T10:00:00Z", "end": "2026-03-02T11:00:00Z"},
        ).status_code
        == 403
    )
    member = client_for(bw.member.user)
    assert member.get("/api/billing/statements/cliente-b/2026-03").status_code == 404
    outsider = client_for(bw.outsider.user)
    assert outsider.get("/api/billing/statements/cliente-b/2026-03").status_code == 404


PACK = {"organization": "cliente-b", "kind": "single", "purchased": "2026-01-05"}


@pytest.mark.parametrize("hours", [0.5, "0", "0.00", "1.505", "1234567", "1e2", "-1", ""])
def test_pack_hours_must_be_a_positive_decimal_string(bw, hours):
    """Hours travel as strings so no cent is lost to floats; anything else is a clear 422."""
    agent = client_for(bw.agent)
    before = HourPack.objects.count()
    body = {**PACK, "hours": hours}
    refused = post(agent, "/packs", body)
    assert refused.status_code == 422, refused.content
    assert "hours" in refused.content.decode()
    assert HourPack.objects.count() == before


@pytest.mark.parametrize(("hours", "stored"), [("0.05", "0.05"), ("999999.99", "999999.99")])
def test_pack_hours_at_the_edges_are_kept_exactly(bw, hours, stored):
    agent = client_for(bw.agent)
    body = {**PACK, "hours": hours}
    made = post(agent, "/packs", body)
    assert made.status_code == 201, made.content
    assert made.json()["hours"] == stored
    assert str(HourPack.objects.get(pk=made.json()["id"]).hours) == stored


def test_timer_through_the_api(bw, case):
    agent = client_for(bw.agent)
    started = post(agent, "/timer/start", {"case_id": case.pk})
    assert started.status_code == 201 and started.json()["end"] is None
    again = post(agent, "/timer/start", {"case_id": case.pk})
    assert again.status_code == 409 and again.json()["code"] == "timer_running"
    stopped = agent.post("/api/billing/timer/stop")
    assert stopped.status_code == 200 and stopped.json()["end"] is not None


def _history(*events: dict) -> list[str]:
    return [json.dumps(e) for e in events]


def test_history_import_records_work(bw, case):
    import_history(
        _history(
            {
                "at": "2026-03-02T18:10:00+00:00",
                "event": "work",
                "case": "WP-1",
                "by": "joao@webplug.example",
                "start": "2026-03-02T17:50:00+00:00",
                "end": "2026-03-02T18:10:00+00:00",
                "billable": True,
            },
        ),
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    entry = TimeEntry.objects.get()
    assert entry.source == "import" and entry.billable and entry.case == case


def test_history_import_takes_the_issue_work_line_without_at(bw, case):
    """The issue's own example has no "at": work is recorded at its end."""
    line = {
        "event": "work",
        "case": "WP-1",
        "by": "joao@webplug.example",
        "start": "2026-03-02T17:50:00+00:00",
        "end": "2026-03-02T18:10:00+00:00",
        "billable": True,
    }
    import_history(_history(line), now=datetime(2026, 4, 1, tzinfo=UTC))
    entry = TimeEntry.objects.get()
    assert entry.end == datetime(2026, 3, 2, 18, 10, tzinfo=UTC)


def test_history_import_refuses_overlap_with_the_line_number(bw, case):
    work = {"event": "work", "case": "WP-1", "by": "joao@webplug.example"}
    with pytest.raises(HistoryError) as caught:
        import_history(
            _history(
                {
                    **work,
                    "at": "2026-03-02T11:00:00+00:00",
                    "start": "2026-03-02T10:00:00+00:00",
                    "end": "2026-03-02T11:00:00+00:00",
                },
                {
                    **work,
                    "at": "2026-03-02T11:30:00+00:00",
                    "start": "2026-03-02T10:30:00+00:00",
                    "end": "2026-03-02T11:30:00+00:00",
                },
            ),
            now=datetime(2026, 4, 1, tzinfo=UTC),
        )
    assert caught.value.line == 2 and "overlap" in caught.value.message
    assert not TimeEntry.objects.exists()  # the whole file is one transaction
