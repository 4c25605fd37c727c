"""A met clock keeps the due it was met against: reports say "met 30 m before its target".

Same test plan as test_clocks.py: Lisbon, Mon-Fri 09:00-13:00 and 14:00-18:00; restoration
16 business hours. A P3 email on Friday 6 March 2026 17:55 is due Tuesday 17:55 (UTC+0).
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from supportdesk.tickets import display, services
from tests.tickets.test_clocks import clocks, open_email_case, utc


@pytest.mark.django_db
def test_resolution_keeps_the_restoration_due(world):
    case = open_email_case(world)
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 10, 17, 25))
    restoration = clocks(case)["restoration"]
    assert restoration.met_at == utc(2026, 3, 10, 17, 25)
    assert restoration.due_at == utc(2026, 3, 10, 17, 55)
    text, urgency = display.time_left(restoration, utc(2026, 3, 12, 9, 0))
    assert (text, urgency) == ("met 30 m before its target", "met")


@pytest.mark.django_db
def test_show_case_and_api_report_the_due_of_a_met_clock(world, client):
    case = open_email_case(world)
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 9, 11, 0))
    out = StringIO()
    call_command("show_case", str(case.pk), "--json", stdout=out)
    shown = json.loads(out.getvalue())["clocks"]["restoration"]
    assert shown["due"] == "2026-03-10T17:55:00+00:00"
    assert shown["met_at"] == "2026-03-09T11:00:00+00:00"
    client.force_login(world.agent)
    api = client.get(f"/api/cases/{case.pk}").json()
    restoration = next(c for c in api["clocks"] if c["metric"] == "restoration")
    assert restoration["due"].startswith("2026-03-10T17:55:00")


@pytest.mark.django_db
def test_clock_met_while_paused_keeps_the_due_it_stood_at(world):
    case = open_email_case(world)
    services.change_status(case, "waiting", actor=world.agent, at=utc(2026, 3, 9, 10, 0))
    assert clocks(case)["restoration"].due_at is None
    # Resolved while waiting: paused Mon 10:00-13:00 and 14:00-16:00, 5 working hours, so the
    # due stands at Tue 17:55 + 5 h: 5 m Tue, Wed 09:00-13:00 and 14:00-14:55.
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 9, 16, 0))
    restoration = clocks(case)["restoration"]
    assert restoration.met_at == utc(2026, 3, 9, 16, 0)
    assert restoration.due_at == utc(2026, 3, 11, 14, 55)
    assert restoration.paused_work == timedelta(0)


@pytest.mark.django_db
def test_reopened_case_resumes_and_one_reopened_into_waiting_has_no_due(world):
    case = open_email_case(world)
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 9, 11, 0))
    services.change_status(case, "waiting", actor=world.agent, at=utc(2026, 3, 9, 12, 0))
    restoration = clocks(case)["restoration"]
    assert restoration.met_at is None and restoration.due_at is None
    services.change_status(case, "open", actor=world.agent, at=utc(2026, 3, 9, 15, 0))
    # Paused Mon 11:00-13:00 and 14:00-15:00 = 3 h: due moves from Tue 17:55 to Wed 11:55.
    assert clocks(case)["restoration"].due_at == utc(2026, 3, 11, 11, 55)


@pytest.mark.django_db
def test_late_met_clock_says_how_late(world):
    case = open_email_case(world)
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 10, 19, 55))
    restoration = clocks(case)["restoration"]
    assert restoration.breached_at == utc(2026, 3, 10, 17, 55)
    assert display.time_left(restoration, utc(2026, 3, 12, 9, 0)) == ("met 2 h 0 m late", "late")
