"""One ``update_case``: the case page's form and the API's PATCH give the same case.

Same plan as test_clocks.py. A P3 email of Friday 6 March 2026 17:55; on Monday 09:00 an agent
raises it to P1, whose restoration (4 h around the clock) fell due on Friday 21:55: the clock is
breached as of the change and the plan's automatic escalation moves the case to Level 2.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from supportdesk.tickets import services
from supportdesk.tickets.models import Case, Event
from tests.tickets.test_clocks import open_email_case, utc

MONDAY_9 = utc(2026, 3, 9, 9, 0)


@pytest.fixture
def escalating(world):
    world.plan.automatic_escalation = True
    world.plan.save()
    return world


def _history(case: Case) -> list[tuple[str, str | None, str | None, str | None]]:
    """The case's events as (kind, before, after, who), without ids or instants."""
    return [
        (e.kind, str(e.before), str(e.after), e.actor.email if e.actor else None)
        for e in Event.objects.filter(case=case).select_related("actor").order_by("at", "id")
        if e.kind not in ("clock_started",)
    ]


def _form(case: Case, **changes: str) -> dict[str, str]:
    """What the case page posts: every control, as the agent saw it, with their changes."""
    fields = {
        "status": case.status,
        "priority": case.priority,
        "level": case.level,
        "assignee": "",
        "team": "",
    }
    return {**fields, **changes}


@pytest.mark.django_db
def test_web_form_raising_priority_keeps_the_escalation(escalating, client):
    case = open_email_case(escalating)
    client.force_login(escalating.agent)
    with time_machine.travel(MONDAY_9, tick=False):
        response = client.post(
            reverse("case_update", args=[case.pk]), _form(case, priority="P1", status="open")
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.priority, case.level, case.status) == ("P1", "L2", "open")
    levels = Event.objects.filter(case=case, kind__in=["level", "escalated"])
    # Escalated by the breach, and nobody is recorded as taking it back to Level 1.
    assert [(e.kind, e.after, e.actor_id) for e in levels] == [("escalated", "L2", None)]


@pytest.mark.django_db
def test_web_form_and_api_give_the_same_case(escalating, client):
    by_form = open_email_case(escalating)
    by_api = open_email_case(escalating)
    client.force_login(escalating.agent)
    with time_machine.travel(MONDAY_9, tick=False):
        client.post(
            reverse("case_update", args=[by_form.pk]),
            _form(by_form, priority="P1", status="waiting"),
        )
        response = client.patch(
            f"/api/cases/{by_api.pk}",
            {"priority": "P1", "status": "waiting"},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    by_form.refresh_from_db()
    by_api.refresh_from_db()
    fields = ("priority", "level", "status", "next_due", "assignee_id", "team_id")
    assert [getattr(by_form, f) for f in fields] == [getattr(by_api, f) for f in fields]
    assert _history(by_form) == _history(by_api)
    clocks = {c.metric: (c.due_at, c.breached_at, c.paused_since) for c in by_form.clocks.all()}
    assert clocks == {
        c.metric: (c.due_at, c.breached_at, c.paused_since) for c in by_api.clocks.all()
    }


@pytest.mark.django_db
def test_only_what_changed_is_applied_and_recorded(escalating):
    case = open_email_case(escalating)
    unchanged = services.CaseChanges(priority="P3", level="L1", status="new")
    services.update_case(case, unchanged, actor=escalating.agent, at=MONDAY_9)
    assert not Event.objects.filter(case=case, actor=escalating.agent).exists()


@pytest.mark.django_db
def test_a_refused_change_leaves_the_case_as_it_was(escalating):
    case = open_email_case(escalating)
    changes = services.CaseChanges(priority="P1", level="L9")
    with pytest.raises(services.CaseError):
        services.update_case(case, changes, actor=escalating.agent, at=MONDAY_9)
    case.refresh_from_db()
    assert (case.priority, case.level) == ("P3", "L1")
    restoration = case.clocks.get(metric="restoration")
    assert restoration.breached_at is None
    assert restoration.due_at == utc(2026, 3, 10, 17, 55)
    assert restoration.due_at - case.received_at > timedelta(hours=4)
