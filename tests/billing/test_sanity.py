"""Time that cannot be right is refused, and time that is unusual is confirmed and flagged:
work before the case was received or after now is refused; work longer than a working day is
recorded only when the agent confirms it (page, API, timer), and the statement flags it."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.billing import pdf, services
from supportdesk.billing.errors import BillingError
from supportdesk.billing.models import TimeEntry
from supportdesk.billing.periods import parse_month
from supportdesk.billing.render import as_dict
from supportdesk.billing.statement import build_statement
from supportdesk.world.history import HistoryError, import_history
from tests.billing.conftest import at
from tests.billing.test_api_and_import import client_for, post

pytestmark = pytest.mark.django_db


def refusal(call) -> str:
    with pytest.raises(BillingError) as caught:
        call()
    return caught.value.code


def test_work_before_the_case_was_received_is_refused(bw, case):
    """The probe's entry: 27 years, starting long before the case (received 2 Jan 2026)."""
    code = refusal(
        lambda: services.record_work(
            case, bw.agent, at("1999-01-01 09:00"), at("2026-03-02 10:00"), confirm_long=True
        )
    )
    assert code == "before_receipt"
    # a minute before the receipt too; the minute it was received is fine
    assert (
        refusal(
            lambda: services.record_work(
                case, bw.agent, at("2026-01-02 09:59"), at("2026-01-02 10:30")
            )
        )
        == "before_receipt"
    )
    services.record_work(case, bw.agent, at("2026-01-02 10:00"), at("2026-01-02 10:30"))
    assert TimeEntry.objects.count() == 1


def test_work_ending_in_the_future_is_refused_beyond_five_minutes_of_skew(bw, case):
    now = at("2026-03-02 12:00")
    assert (
        refusal(
            lambda: services.record_work(
                case, bw.agent, at("2026-03-02 11:00"), at("2026-03-02 12:06"), at=now
            )
        )
        == "in_future"
    )
    entry = services.record_work(
        case, bw.agent, at("2026-03-02 11:00"), at("2026-03-02 12:05"), at=now
    )
    assert entry.end == at("2026-03-02 12:05")


def test_work_longer_than_a_working_day_needs_confirmation(bw, case):
    start = at("2026-03-02 09:00")
    assert (
        refusal(
            lambda: services.record_work(
                case, bw.agent, start, start + timedelta(hours=8, minutes=1)
            )
        )
        == "long_entry"
    )
    assert not TimeEntry.objects.exists()
    services.record_work(case, bw.agent, start, start + timedelta(hours=8))  # exactly a day: fine
    entry = services.record_work(
        case,
        bw.agent,
        at("2026-03-03 09:00"),
        at("2026-03-03 19:00"),
        confirm_long=True,
    )
    assert entry.end - entry.start == timedelta(hours=10)


def test_a_correction_follows_the_same_rules_but_a_confirmed_entry_keeps_its_length(bw, case, work):
    entry = work("2026-03-02 09:00", "2026-03-02 10:00")
    change = {"actor": bw.agent, "billable": True, "note": ""}
    assert (
        refusal(
            lambda: services.change_entry(
                entry, start=entry.start, end=at("2026-03-02 20:00"), **change
            )
        )
        == "long_entry"
    )
    assert (
        refusal(
            lambda: services.change_entry(
                entry, start=at("2025-12-31 09:00"), end=entry.end, **change
            )
        )
        == "before_receipt"
    )
    services.change_entry(
        entry, start=entry.start, end=at("2026-03-02 20:00"), confirm_long=True, **change
    )
    # changing only its note does not ask again
    services.change_entry(
        entry, start=entry.start, end=entry.end, actor=bw.agent, billable=False, note="disco"
    )
    entry.refresh_from_db()
    assert entry.end == at("2026-03-02 20:00") and entry.note == "disco"


def test_a_timer_left_running_overnight_is_stopped_only_when_confirmed(bw, case):
    services.start_timer(case, bw.agent, at=at("2026-03-02 17:00"))
    next_morning = at("2026-03-03 09:00")
    assert refusal(lambda: services.stop_timer(bw.agent, at=next_morning)) == "long_entry"
    assert TimeEntry.objects.get().running
    entry = services.stop_timer(bw.agent, at=next_morning, confirm_long=True)
    assert entry.end == next_morning
    # and a timer cannot start before the case was received
    assert (
        refusal(lambda: services.start_timer(case, bw.agent, at=at("2025-12-01 09:00")))
        == "before_receipt"
    )


# ---------------------------------------------------------------------------- API


def test_the_api_names_the_rule_and_takes_the_confirmation(bw, case):
    agent = client_for(bw.agent)
    body = {"case_id": case.pk, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T19:00:00Z"}
    refused = post(agent, "/time-entries", body)
    assert refused.status_code == 409 and refused.json()["code"] == "long_entry"
    assert refused.json()["field"] == "end"
    created = post(agent, "/time-entries", {**body, "confirm_long": True})
    assert created.status_code == 201, created.content

    early = {**body, "start": "1999-01-01T09:00:00Z", "confirm_long": True}
    answer = post(agent, "/time-entries", early)
    assert answer.status_code == 409 and answer.json()["code"] == "before_receipt"
    future = (timezone.now() + timedelta(days=1)).isoformat()
    answer = post(agent, "/time-entries", {**body, "start": "2026-03-04T09:00:00Z", "end": future})
    assert answer.status_code == 409 and answer.json()["code"] == "in_future"

    entry_id = created.json()["id"]
    longer = agent.patch(
        f"/api/billing/time-entries/{entry_id}",
        {"end": "2026-03-02T20:00:00Z"},
        content_type="application/json",
    )
    assert longer.status_code == 409 and longer.json()["code"] == "long_entry"
    confirmed = agent.patch(
        f"/api/billing/time-entries/{entry_id}",
        {"end": "2026-03-02T20:00:00Z", "confirm_long": True},
        content_type="application/json",
    )
    assert confirmed.status_code == 200, confirmed.content


def test_the_api_stops_a_long_timer_only_when_confirmed(bw, case):
    TimeEntry.objects.create(
        case=case,
        organization=bw.org,
        agent=bw.agent,
        start=timezone.now().replace(second=0, microsecond=0) - timedelta(hours=9),
        source="timer",
        created_at=timezone.now(),
    )
    agent = client_for(bw.agent)
    refused = agent.post("/api/billing/timer/stop")
    assert refused.status_code == 409 and refused.json()["code"] == "long_entry"
    stopped = agent.post("/api/billing/timer/stop?confirm_long=true")
    assert stopped.status_code == 200 and stopped.json()["end"] is not None


def test_the_openapi_document_declares_the_confirmation():
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "confirm_long" in schemas["TimeEntryIn"]["properties"]
    assert "confirm_long" in schemas["TimeEntryChange"]["properties"]
    stop = document["paths"]["/api/billing/timer/stop"]["post"]
    assert [p["name"] for p in stop["parameters"]] == ["confirm_long"]
    assert "409" in document["paths"]["/api/billing/time-entries"]["post"]["responses"]
    assert "long_entry" in schemas["StatementEntryOut"]["required"]


# ---------------------------------------------------------------------------- case page


def test_the_case_page_asks_to_confirm_long_work_with_the_form_filled(bw, case, client):
    client.force_login(bw.agent)
    add = reverse("billing:entry_add", args=[case.pk])
    typed = {"start": "2026-03-02T09:00", "end": "2026-03-02T19:00", "note": "Migração"}
    page = client.post(add, typed, follow=True).content.decode()
    assert not TimeEntry.objects.exists()
    assert "longer than a working day" in page
    assert 'type="checkbox" name="confirm_long"' in page
    assert 'value="2026-03-02T19:00"' in page and "Migração" in page
    # once shown, the question is gone from the next page
    again = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'type="checkbox" name="confirm_long"' not in again
    client.post(add, {**typed, "confirm_long": "on"})
    assert TimeEntry.objects.get().end == at("2026-03-02 19:00")


def test_the_case_page_asks_to_confirm_stopping_a_long_timer(bw, case, client):
    TimeEntry.objects.create(
        case=case,
        organization=bw.org,
        agent=bw.agent,
        start=timezone.now().replace(second=0, microsecond=0) - timedelta(hours=9),
        source="timer",
        created_at=timezone.now(),
    )
    client.force_login(bw.agent)
    stop = reverse("billing:timer_stop", args=[case.pk])
    page = client.post(stop, follow=True).content.decode()
    assert TimeEntry.objects.get().running
    assert 'type="checkbox" name="confirm_long"' in page
    client.post(stop, {"confirm_long": "on"})
    assert not TimeEntry.objects.get().running


# ---------------------------------------------------------------------------- statement


@pytest.fixture
def long_march(bw, case, work):
    work("2026-03-02 10:00", "2026-03-02 10:30")
    services.record_work(
        case, bw.agent, at("2026-03-03 08:00"), at("2026-03-03 20:00"), confirm_long=True
    )
    return bw


def test_the_statement_flags_entries_longer_than_a_working_day(long_march, client):
    data = as_dict(build_statement(long_march.org, parse_month("2026-03")))
    assert [e["long_entry"] for e in data["entries"]] == [False, True]

    client.force_login(long_march.agent)
    url = reverse("billing:org_statement", args=["cliente-b"])
    page = client.get(url, {"month": "2026-03"}).content.decode()
    assert page.count('class="badge long-entry"') == 2  # the row and the note above the table
    assert "1 entry is longer than a working day" in page
    api = client_for(long_march.agent).get("/api/billing/statements/cliente-b/2026-03").json()
    assert [e["long_entry"] for e in api["entries"]] == [False, True]


def test_the_pdf_statement_flags_them_too(long_march, monkeypatch):
    written: list[str] = []

    def record(text: str, transliterate=pdf.transliterate) -> str:
        written.append(text)
        return transliterate(text)

    monkeypatch.setattr(pdf, "_fonts", lambda: None)
    monkeypatch.setattr(pdf, "transliterate", record)
    document = pdf.as_pdf(build_statement(long_march.org, parse_month("2026-03")))
    assert document.startswith(b"%PDF-")
    assert sum("(over a working day)" in text for text in written) == 1
    assert any("1 entry is longer than a working day" in text for text in written)


def test_an_entry_across_a_month_end_is_flagged_by_its_whole_length(bw, case):
    services.record_work(
        case, bw.agent, at("2026-03-31 20:00"), at("2026-04-01 06:00"), confirm_long=True
    )
    for month in ("2026-03", "2026-04"):
        (line,) = build_statement(bw.org, parse_month(month)).entries
        assert line.long_entry


# ---------------------------------------------------------------------------- history


def test_history_keeps_long_entries_but_not_work_before_the_case(bw, case):
    line = {
        "event": "work",
        "case": "WP-1",
        "by": "joao@webplug.example",
        "start": "2026-03-02T08:00:00+00:00",
        "end": "2026-03-02T20:00:00+00:00",
    }
    now = at("2026-04-01 00:00")
    import_history([json.dumps(line)], now=now)
    assert TimeEntry.objects.get().end == at("2026-03-02 20:00")
    early = {**line, "start": "2025-12-01T08:00:00+00:00", "end": "2026-01-02T12:00:00+00:00"}
    with pytest.raises(HistoryError) as caught:
        import_history([json.dumps(early)], now=now)
    assert caught.value.line == 1 and "before" in caught.value.message
