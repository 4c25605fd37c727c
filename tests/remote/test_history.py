"""``import_history`` lines ``remote_consent`` and ``remote_session`` go through the same
services and rules as the pages: a session needs the consent before it, fresh and unused."""

import json
from datetime import UTC, datetime

import pytest

from supportdesk.remote.models import ConsentRequest, RemoteSession
from supportdesk.tickets.models import Case, OutboundMessage
from supportdesk.world.history import HistoryError, import_history

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
JOAO, ANA, OLGA = "joao@webplug.example", "ana@cliente-b.pt", "olga@outra.pt"
RECEIVED = {
    "at": "2026-03-02T09:00:00+00:00",
    "case": "OP-7",
    "event": "received",
    "org": "cliente-b",
    "from": ANA,
    "channel": "email",
    "subject": "Outlook crashes",
}
CONSENT = {"at": "2026-03-02T09:20:00+00:00", "case": "OP-7", "event": "remote_consent", "by": ANA}
SESSION = {
    "at": "2026-03-02T09:25:00+00:00",
    "case": "OP-7",
    "event": "remote_session",
    "by": JOAO,
    "tool": "anydesk",
    "session": "123 456 789",
    "start": "2026-03-02T09:25:00+00:00",
    "end": "2026-03-02T09:55:00+00:00",
}


def replay(*events: dict) -> None:
    import_history([json.dumps(e) for e in events], source="h.jsonl", now=NOW)


def refused(*events: dict) -> str:
    with pytest.raises(HistoryError) as caught:
        replay(*events)
    return str(caught.value)


def test_a_consent_and_its_session_are_replayed_with_their_events(world):
    replay(RECEIVED, CONSENT, {**SESSION, "notes": "Rebuilt the profile."})
    case = Case.objects.get(reference="OP-7")
    consent = ConsentRequest.objects.get(case=case)
    assert consent.consented_by == world.admin
    assert consent.consented_at == datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    session = RemoteSession.objects.get(case=case)
    assert (session.tool, session.session_id, session.consent) == (
        "anydesk",
        "123 456 789",
        consent,
    )
    assert session.started_at == datetime(2026, 3, 2, 9, 25, tzinfo=UTC)
    assert session.ended_at == datetime(2026, 3, 2, 9, 55, tzinfo=UTC)
    assert session.notes == "Rebuilt the profile."
    kinds = list(case.events.filter(kind__startswith="remote_").values_list("kind", flat=True))
    assert kinds == ["remote_asked", "remote_consented", "remote_started", "remote_ended"]
    assert not OutboundMessage.objects.filter(case=case, subject__contains="Remote").exists()


def test_address_and_browser_can_be_imported(world):
    replay(RECEIVED, {**CONSENT, "ip": "192.0.2.7", "browser": "Firefox/140.0", "asked_by": JOAO})
    consent = ConsentRequest.objects.get()
    assert (consent.ip_address, consent.user_agent, consent.asked_by) == (
        "192.0.2.7",
        "Firefox/140.0",
        world.agent,
    )


def test_a_session_without_consent_is_refused_by_line(world):
    assert refused(RECEIVED, SESSION).startswith("h.jsonl:2: The customer has not given consent")
    assert not Case.objects.exists()  # the whole file or nothing


def test_a_session_after_the_consent_lapsed_is_refused(world):
    late = {**SESSION, "start": "2026-03-02T09:35:00+00:00", "end": "2026-03-02T10:00:00+00:00"}
    assert "lapsed" in refused(RECEIVED, CONSENT, late)


def test_a_consent_serves_one_session(world):
    second = {**SESSION, "start": "2026-03-02T09:56:00+00:00", "end": "2026-03-02T10:10:00+00:00"}
    assert refused(RECEIVED, CONSENT, SESSION, second).startswith("h.jsonl:4: ")


def test_a_session_whose_password_step_was_not_kept_is_refused(world):
    line = {**SESSION, "password_typed_by_user": False}
    assert "password" in refused(RECEIVED, CONSENT, line)


def test_a_contact_of_another_organization_cannot_consent(world):
    assert "not sent to you" in refused(RECEIVED, {**CONSENT, "by": OLGA})
    assert 'unknown contact "nobody@x.pt"' in refused(RECEIVED, {**CONSENT, "by": "nobody@x.pt"})
