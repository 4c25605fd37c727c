"""Correcting a finished time entry (a mistyped end, a forgotten "not billable"): the rules of
recording it still hold, the statement follows, and the case's history keeps both versions."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.services import issue_token
from supportdesk.billing import services
from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.billing.statement import build_statement
from supportdesk.tickets.choices import EventKind
from supportdesk.tickets.display import describe_event
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


def change(entry, actor, start, end, billable=True, note=""):
    return services.change_entry(
        entry, actor=actor, start=at(start), end=at(end), billable=billable, note=note
    )


def test_a_corrected_entry_is_billed_as_corrected_and_its_history_kept(bw, case, work):
    entry = work("2026-03-02 17:50", "2026-03-02 18:10")
    (line,) = build_statement(bw.org, date(2026, 3, 1)).entries
    assert (line.billed_in_hours_minutes, line.billed_out_of_hours_minutes) == (15, 30)
    change(entry, bw.agent, "2026-03-02 17:30", "2026-03-02 17:55", note="Disco trocado")
    (line,) = build_statement(bw.org, date(2026, 3, 1)).entries
    assert (line.in_hours_minutes, line.out_of_hours_minutes) == (25, 0)
    assert (line.billed_in_hours_minutes, line.billed_out_of_hours_minutes) == (30, 0)
    event = case.events.get(kind=EventKind.WORK_CHANGED)
    assert event.actor == bw.agent
    assert event.before["start"].startswith("2026-03-02T17:50")
    assert event.after["end"].startswith("2026-03-02T17:55")
    assert "17:50" in describe_event(event) and "17:55" in describe_event(event)


def test_a_correction_may_not_overlap_nor_reverse_nor_touch_a_running_timer(bw, case, work):
    first = work("2026-03-02 10:00", "2026-03-02 11:00")
    work("2026-03-02 11:00", "2026-03-02 12:00")
    with pytest.raises(BillingError) as caught:
        change(first, bw.agent, "2026-03-02 10:00", "2026-03-02 11:30")
    assert caught.value.code == BillingErrorCode.OVERLAP
    with pytest.raises(BillingError) as caught:
        change(first, bw.agent, "2026-03-02 10:00", "2026-03-02 09:00")
    assert caught.value.code == BillingErrorCode.END_BEFORE_START
    first.refresh_from_db()
    assert (first.start, first.end) == (at("2026-03-02 10:00"), at("2026-03-02 11:00"))
    change(first, bw.agent, "2026-03-02 09:30", "2026-03-02 11:00")  # its own old span is free
    timer = services.start_timer(case, bw.agent, at=at("2026-03-03 09:00"))
    with pytest.raises(BillingError) as caught:
        change(timer, bw.agent, "2026-03-03 09:00", "2026-03-03 10:00")
    assert caught.value.code == BillingErrorCode.TIMER_RUNNING


def test_correcting_through_the_api(bw, case, work):
    entry = work("2026-03-02 10:00", "2026-03-02 11:00")
    work("2026-03-02 12:00", "2026-03-02 13:00")
    agent = Client(headers={"authorization": f"Bearer {issue_token(bw.agent, 'tests')}"})
    url = f"/api/billing/time-entries/{entry.pk}"
    done = agent.patch(url, {"billable": False}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["billable"] is False and done.json()["end"].startswith("2026-03-02T11:00")
    clash = agent.patch(url, {"end": "2026-03-02T12:30:00Z"}, content_type="application/json")
    assert clash.status_code == 409 and clash.json()["code"] == "overlap"
    admin = Client(headers={"authorization": f"Bearer {issue_token(bw.admin.user, 'tests')}"})
    refused = admin.patch(url, {"billable": True}, content_type="application/json")
    assert refused.status_code == 403
    entry.refresh_from_db()
    assert entry.billable is False


def test_correcting_from_the_case_page_in_the_agents_zone(bw, case, work, client):
    entry = work("2026-03-02 10:00", "2026-03-02 11:00")
    bw.agent.timezone = "Europe/Warsaw"
    bw.agent.save()
    client.force_login(bw.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert f'name="entry-{entry.pk}-start" value="2026-03-02T11:00"' in page  # Warsaw time
    prefix = f"entry-{entry.pk}"
    response = client.post(
        reverse("billing:entry_edit", args=[entry.pk]),
        {f"{prefix}-start": "2026-03-02T11:00", f"{prefix}-end": "2026-03-02T11:45"},
        follow=True,
    )
    assert "Entry changed." in response.content.decode()
    entry.refresh_from_db()
    assert entry.end == at("2026-03-02 10:45") and entry.billable is False  # box left unticked
