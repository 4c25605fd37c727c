"""Times in the viewer's zone, saying which zone when it is not theirs; time left in working
hours with the due date; the plan page's hours are the contract's.

The plan counts Lisbon's hours (Mon-Fri 09:00-13:00, 14:00-18:00); Cliente B's contract names
Warsaw's instead where a test says so. A P3 email on Friday 6 March 2026 17:55 UTC is due for
a first response on Monday 12:55 Lisbon (4 business hours), for restoration Tuesday 17:55.
"""

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.accounts.middleware import showing
from supportdesk.plans.models import BusinessCalendar
from supportdesk.plans.services import save_contract
from supportdesk.plans.zones import home_zone
from supportdesk.tickets import display, services
from supportdesk.tickets.models import OutboundMessage
from tests.factories import LISBON_WEEKDAYS, make_two_brands
from tests.tickets.test_clocks import FRIDAY_1755, clocks, open_email_case, utc

LISBON, WARSAW = ZoneInfo("Europe/Lisbon"), ZoneInfo("Europe/Warsaw")


def warsaw_contract(world) -> BusinessCalendar:
    """Cliente B's contract counts Warsaw's hours; the plan's own calendar stays Lisbon's."""
    warsaw = BusinessCalendar.objects.create(
        slug="pl-warsaw", timezone="Europe/Warsaw", country="PL", weekly=LISBON_WEEKDAYS
    )
    save_contract(world.org, world.plan, start=date(2020, 1, 1), calendar=warsaw)
    return warsaw


@pytest.mark.django_db
def test_home_zone_is_the_contracts_for_customers_and_the_providers_for_agents(world):
    assert home_zone(world.admin.user) == LISBON  # the plan's calendar
    warsaw_contract(world)
    assert home_zone(world.admin.user) == WARSAW  # the contract's own calendar
    assert home_zone(world.agent) is None  # an agent of no provider: the browser's, or UTC
    make_two_brands(world)
    assert home_zone(world.agent) == LISBON  # WebPlug's plans count Lisbon's hours


@pytest.mark.django_db
def test_portal_times_are_in_the_organizations_zone_and_say_so_to_a_browser_elsewhere(
    world, client
):
    warsaw_contract(world)
    case = open_email_case(world, sender="bruno@cliente-b.pt")
    client.force_login(world.member.user)
    url = reverse("my_case", args=[case.pk])
    # His browser is in Lisbon: Warsaw's time carries its zone.
    client.cookies["supportdesk_tz"] = "Europe%2FLisbon"
    page = client.get(url).content.decode()
    assert re.search(r"\d\d:\d\d CET", page), "Warsaw's time, named"
    # In Warsaw, it needs no name.
    client.cookies["supportdesk_tz"] = "Europe%2FWarsaw"
    page = client.get(url).content.decode()
    assert not re.search(r"\d\d:\d\d CES?T", page)
    # A zone he chose is his own, whatever the browser says.
    world.member.user.timezone = "America/Sao_Paulo"
    world.member.user.save()
    page = client.get(url).content.decode()
    assert "(America/Sao_Paulo)" not in page and not re.search(r"\d\d:\d\d CES?T", page)


@pytest.mark.django_db
def test_plan_page_shows_the_hours_the_contract_counts(world, client):
    warsaw_contract(world)
    client.force_login(world.admin.user)
    page = client.get(reverse("my_plan")).content.decode()
    assert "Business hours under your contract, in Europe/Warsaw" in page
    assert "Mon–Fri: 09:00–13:00, 14:00–18:00" in page
    assert "Europe/Lisbon" not in page


@pytest.mark.django_db
def test_time_left_is_working_time_with_the_due_date(world):
    case = open_email_case(world)
    running = clocks(case)
    with showing(LISBON, LISBON):
        first = display.time_left(running["first_response"], FRIDAY_1755)
        restoration = display.time_left(running["restoration"], FRIDAY_1755)
        later = display.time_left(running["first_response"], utc(2026, 3, 9, 10, 0))
    assert first == ("4 working hours left · due Mon 12:55", "ok")
    # 16 working hours, not "16 h" that reads as this evening, nor "0 d 16 h".
    assert restoration == ("16 working hours left · due Tue 17:55", "ok")
    assert later == ("2 h 55 m of working time left · due Mon 12:55", "ok")
    # Shown in Warsaw to someone whose zone that is not: the zone is named.
    with showing(WARSAW, LISBON):
        text, _urgency = display.time_left(running["first_response"], FRIDAY_1755)
    assert text == "4 working hours left · due Mon 13:55 CET"


@given(st.integers(min_value=0, max_value=60 * 24 * 30))
def test_working_time_left_never_speaks_of_days_and_adds_up(minutes):
    text = display.working_left(timedelta(minutes=minutes), around_the_clock=False)
    whole = re.fullmatch(r"(\d+) working hours? left", text)
    parts = re.fullmatch(r"(?:(\d+) h )?(\d+) m of working time left", text)
    assert whole or parts, text
    told = int(whole[1]) * 60 if whole else int(parts[1] or 0) * 60 + int(parts[2])
    assert told == minutes or (minutes == 0 and told == 0)


@pytest.mark.django_db
def test_breach_notice_is_in_the_agents_language_and_zone(world):
    world.agent.language, world.agent.timezone = "pl", "Europe/Warsaw"
    world.agent.save()
    case = open_email_case(world)
    services.assign(case, assignee=world.agent, actor=world.agent, at=FRIDAY_1755)
    services.sweep(now=utc(2026, 3, 9, 13, 0))
    notice = OutboundMessage.objects.get(to=world.agent.email, subject__contains=case.label)
    assert notice.subject.startswith("Przekroczono SLA")
    assert "Obietnica w zgłoszeniu" in notice.body
    # Monday 12:55 Lisbon is 13:55 in Warsaw, named; no ISO instant.
    assert "13:55 CET" in notice.body and "+00:00" not in notice.body
