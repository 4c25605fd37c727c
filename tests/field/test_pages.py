"""The field pages as an agent and a technician use them: steps on the case page, the
technician's day list, the loaner pool; and the new clocks wherever clocks are shown (case
page, queue, API, ``show_case --json``)."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.services import issue_token, save_preferences
from supportdesk.field import services as field
from supportdesk.field.models import LoanerIssue, Visit
from supportdesk.tickets import services
from supportdesk.tickets.models import Case

WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY_8 = datetime(2026, 11, 16, 8, 0, tzinfo=WARSAW)


@pytest.fixture
def case(orange) -> Case:
    case = services.open_case(
        subject="Printer jams",
        body="Every page.",
        channel="phone",
        contact=orange.user,
        asset=orange.laptop,
        reference="OP-7",
        at=MONDAY_8,
    )
    for person in (orange.agent, orange.technician):
        save_preferences(person, timezone_name="Europe/Warsaw", language="en")
    return case


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel(MONDAY_8 + timedelta(minutes=30), tick=False)
def test_agent_decides_and_schedules_a_visit_from_the_case_page(orange, case):
    agent = signed_in(orange.agent)
    page = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    section = reverse("field:case", args=[case.pk])
    assert f'hx-get="{section}"' in page  # the section comes once the page is shown
    fragment = agent.get(section, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="field"')
    assert "Decide an on-site visit" in fragment and "Take SN-1234" in fragment
    done = agent.post(reverse("field:decide", args=[case.pk]), {"purpose": "Replace the fuser"})
    assert done.status_code == 302 and done.url.endswith("#field")
    visit = Visit.objects.get(case=case)
    assert visit.address == "Warszawa, ul. Prosta 1"
    page = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "On-site visit" in page  # its clock, beside the others
    assert "Replace the fuser" in agent.get(section).content.decode()  # a page without htmx

    agent.post(
        reverse("field:schedule", args=[visit.pk]),
        {
            "technician": orange.technician.pk,
            "start": "2026-11-16T13:00",
            "end": "2026-11-16T15:00",
            "address": "",
        },
    )
    visit.refresh_from_db()
    assert visit.window_start == datetime(2026, 11, 16, 13, 0, tzinfo=WARSAW)  # agent's zone
    history = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Visit scheduled: marek@techopieka.example" in history


@time_machine.travel(MONDAY_8 + timedelta(hours=5), tick=False)
def test_technicians_day_list_in_order_with_addresses_and_steps(orange, case):
    later = services.open_case(
        subject="No network", body=".", channel="phone", contact=orange.admin, at=MONDAY_8
    )
    for item, hour, address in ((later, 15, "Kraków, Rynek 2"), (case, 11, "")):
        visit = field.decide_visit(item, actor=orange.agent, at=MONDAY_8)
        start = MONDAY_8.replace(hour=hour)
        field.schedule_visit(
            visit,
            technician=orange.technician,
            start=start,
            end=start + timedelta(hours=1),
            address=address,
            actor=orange.agent,
            at=MONDAY_8,
        )
    marek = signed_in(orange.technician)
    page = marek.get(reverse("field:day"), {"date": "2026-11-16"}).content.decode()
    first, second = page.index("Printer jams"), page.index("No network")
    assert first < second  # 11:00 before 15:00
    assert "Warszawa, ul. Prosta 1" in page and "Kraków, Rynek 2" in page
    assert "11:00" in page and "OP-7" in page
    assert "No visits" in marek.get(reverse("field:day"), {"date": "2026-11-17"}).content.decode()

    visit = Visit.objects.get(case=case)
    marek.post(reverse("field:arrive", args=[visit.pk]), {"next": "day", "date": "2026-11-16"})
    marek.post(reverse("field:depart", args=[visit.pk]), {"report": "Fuser replaced."})
    visit.refresh_from_db()
    assert visit.arrived_at == visit.departed_at == MONDAY_8 + timedelta(hours=5)
    assert visit.report == "Fuser replaced."
    assert case.clocks.get(metric="on_site").met_at == visit.arrived_at


@time_machine.travel(MONDAY_8 + timedelta(hours=1), tick=False)
def test_loaner_pool_shows_what_is_out_and_since_when(orange, case):
    agent = signed_in(orange.agent)
    agent.post(reverse("field:take", args=[case.pk]))
    page = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Repair, within 14 days, around the clock" in page  # the clock's rule
    agent.post(
        reverse("field:lend", args=[case.pk]), {"loaner": orange.loaner.pk, "disk_moved": "on"}
    )
    issue = LoanerIssue.objects.get()
    assert issue.disk_moved and issue.contact == orange.user
    pool = agent.get(reverse("field:loaners")).content.decode()
    assert "1 of 1 loaner out." in pool
    row = pool[pool.index('id="loaner-LN-7"') :]
    assert "Zofia Lis" in row and "OP-7" in row and "09:00" in row

    repair = case.repairs.get()
    agent.post(reverse("field:return_repair", args=[repair.pk]))
    pool = agent.get(reverse("field:loaners")).content.decode()
    assert "asked back" in pool  # still out until it comes back
    agent.post(reverse("field:return_loaner", args=[issue.pk]), {"next": "pool"})
    assert "0 of 1 loaner out." in agent.get(reverse("field:loaners")).content.decode()


def test_customers_and_other_desks_reach_no_field_page(orange, case):
    customer = signed_in(orange.admin.user)
    assert customer.get(reverse("field:day")).status_code == 404
    assert customer.get(reverse("field:loaners")).status_code == 404
    assert customer.post(reverse("field:decide", args=[case.pk])).status_code == 404


def test_new_clocks_in_the_api_and_show_case_with_the_same_shape(orange, case):
    field.decide_visit(case, actor=orange.agent, at=MONDAY_8 + timedelta(hours=1))
    field.take_for_repair(case, actor=orange.agent, at=MONDAY_8 + timedelta(hours=2))
    out = StringIO()
    call_command("show_case", "OP-7", "--json", stdout=out)
    clocks = json.loads(out.getvalue())["clocks"]
    assert clocks.keys() >= {"first_response", "on_site", "repair"}
    assert clocks["on_site"].keys() == clocks["first_response"].keys()
    assert clocks["on_site"]["due"] == "2026-11-17T07:00:00+00:00"  # 24 h from the report
    assert clocks["repair"]["due"] == "2026-11-30T09:00:00+00:00"  # 14 × 24 h from taking

    api = Client(headers={"authorization": f"Bearer {issue_token(orange.agent, 'tests')}"})
    body = api.get(f"/api/cases/{case.pk}").json()
    shown = {clock["metric"]: clock for clock in body["clocks"]}
    assert shown["on_site"].keys() == shown["first_response"].keys()
    assert shown["repair"]["due"].startswith("2026-11-30T09:00:00")


def test_the_customer_is_told_when_the_engineer_comes_and_the_device_is_back(orange, case):
    field.decide_visit(case, actor=orange.agent, at=MONDAY_8 + timedelta(hours=1))
    field.take_for_repair(case, actor=orange.agent, at=MONDAY_8 + timedelta(hours=2))
    save_preferences(orange.user.user, timezone_name="Europe/Warsaw", language="en")
    with time_machine.travel(MONDAY_8 + timedelta(hours=3), tick=False):
        page = signed_in(orange.user.user).get(reverse("my_case", args=[case.pk]))
    text = page.content.decode()
    assert "An engineer will be on site by" in text  # 24 h from the report: tomorrow 08:00
    assert "Your device will be back from repair by" in text
