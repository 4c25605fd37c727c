"""``show_case``: the case as a user (or the API) reads it."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from supportdesk.tickets.models import Case
from supportdesk.world.history import import_history

pytestmark = pytest.mark.django_db


def history(*events: dict) -> None:
    now = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    import_history([json.dumps(e) for e in events], source="h.jsonl", now=now)


@pytest.fixture
def wp1(sample):
    # Monday 2 March 2026 17:55 Lisbon (= UTC in winter): 5 min on Monday, then Tuesday
    # 09:00-12:55 -> first response due 12:55; answered publicly 10:00 on Tuesday.
    history(
        {"at": "2026-03-02T17:55:00+00:00", "case": "WP-1", "event": "received",
         "org": "cliente-b", "from": "ana@cliente-b.pt", "to": "prioridade@webplug.example",
         "channel": "email", "priority": "P3", "subject": "Site em baixo", "body": "Não abre."},
        {"at": "2026-03-03T09:00:00+00:00", "case": "WP-1", "event": "reply",
         "by": "joao@webplug.example", "public": False, "body": "Ver logs."},
        {"at": "2026-03-03T10:00:00+00:00", "case": "WP-1", "event": "reply",
         "by": "joao@webplug.example", "body": "Já está a funcionar."},
    )  # fmt: skip
    return Case.objects.get(reference="WP-1")


def show(*args: str) -> str:
    out = StringIO()
    call_command("show_case", *args, stdout=out)
    return out.getvalue()


def test_json_shape(wp1):
    data = json.loads(show("WP-1", "--json"))
    assert data == {
        "case": "WP-1",
        "org": "cliente-b",
        "plan": "webplug-priority",
        "priority": "P3",
        "status": "open",
        "level": "L1",
        "subject": "Site em baixo",
        "requester": "ana@cliente-b.pt",
        "messages": [
            {"at": "2026-03-02T17:55:00+00:00", "from": "ana@cliente-b.pt", "public": True,
             "body": "Não abre.", "sender_verified": None},
            {"at": "2026-03-03T09:00:00+00:00", "from": "joao@webplug.example", "public": False,
             "body": "Ver logs.", "sender_verified": None},
            {"at": "2026-03-03T10:00:00+00:00", "from": "joao@webplug.example", "public": True,
             "body": "Já está a funcionar.", "sender_verified": None},
        ],
        "asset": None,
        "covered": True,
        "coverage_reason": "covered by Suporte Prioritário",
        "clocks": {
            "first_response": {
                "due": "2026-03-03T12:55:00+00:00",
                "met_at": "2026-03-03T10:00:00+00:00",
                "breached": False,
                "breached_at": None,
                "guaranteed": True,
            },
            # 16 working hours: Mon 5 min, Tue 8h, Wed 09:00-13:00 and 14:00-17:55.
            "restoration": {
                "due": "2026-03-04T17:55:00+00:00",
                "met_at": None,
                "breached": False,
                "breached_at": None,
                "guaranteed": True,
            },
        },
        "credit_hours": 0,
    }  # fmt: skip


def test_by_number_and_readable(wp1):
    text = show(str(wp1.pk))
    assert "WP-1  Site em baixo" in text
    assert "covered by Suporte Prioritário" in text
    assert "first_response: met at 2026-03-03T10:00:00+00:00 (guaranteed)" in text
    assert "(internal)" in text
    assert json.loads(show(f"#{wp1.pk}", "--json"))["case"] == "WP-1"


def test_clocks_absent_when_the_case_has_none(sample):
    # An SMS to a plan without indicative rows for it: no clock at all.
    history(
        {"at": "2026-03-02T09:00:00+00:00", "case": "P-1", "event": "received",
         "org": "padaria", "from": "+351912000101", "channel": "sms", "body": "Olá"},
    )  # fmt: skip
    data = json.loads(show("P-1", "--json"))
    assert data["clocks"] == {}
    assert data["covered"] is False
    assert data["coverage_reason"] == "channel SMS carries no guarantee"


def test_unknown_case_exits_with_a_message(db):
    with pytest.raises(CommandError, match='no case "WP-404"'):
        show("WP-404")
