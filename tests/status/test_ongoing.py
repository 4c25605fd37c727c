"""The chatbot checks the reader's ongoing incidents first: "is the phone down?" gets the
incident and its latest update before any article, and only from incidents the reader sees."""

import pytest
from django.test import Client

from supportdesk.channels.chat import services as chat
from supportdesk.channels.chat.choices import Sender
from supportdesk.knowledge import demo, index
from supportdesk.status import services
from supportdesk.status.choices import ComponentStatus, Impact, IncidentStatus
from tests.factories import World
from tests.status.conftest import Status


@pytest.fixture(autouse=True)
def _kb(db):
    index.forget()
    demo.load_demo_kb()
    yield
    index.forget()


@pytest.fixture
def pbx_down(world: World, status: Status):
    return services.open_incident(
        name="PBX unreachable",
        names={"pt": "Central telefónica inacessível"},
        impact=Impact.MAJOR,
        status=IncidentStatus.IDENTIFIED,
        body="A power supply failed; replaced within the hour.",
        bodies={"pt": "Uma fonte de alimentação avariou."},
        components={"pbx-cliente-b": ComponentStatus.MAJOR_OUTAGE},
        author=world.agent,
    )


def test_the_customer_reads_the_incident_before_any_article(world: World, pbx_down):
    conversation = chat.start(user=world.member.user, language="pt")
    said = chat.customer_says(conversation, "O telefone está em baixo?")
    bot = [m.body for m in said if m.sender == Sender.BOT]
    assert "Central telefónica inacessível" in bot[0]
    assert "Uma fonte de alimentação avariou." in bot[0]
    assert len(bot) == 2, "the incident first, then what the assistant found"


def test_the_api_lists_the_incident_for_its_reader_only(world: World, pbx_down):
    customer = Client()
    customer.force_login(world.member.user)
    mine = customer.post(
        "/api/chat", {"message": "Is the PBX down?"}, content_type="application/json"
    ).json()
    assert [i["name"] for i in mine["incidents"]] == ["PBX unreachable"]
    assert mine["incidents"][0]["latest"]["status"] == "identified"
    stranger = Client()
    stranger.force_login(world.outsider.user)
    theirs = stranger.post(
        "/api/chat", {"message": "Is the PBX down?"}, content_type="application/json"
    ).json()
    assert theirs["incidents"] == []
    anonymous = Client().post(
        "/api/chat", {"message": "Is the PBX down?"}, content_type="application/json"
    )
    assert anonymous.json()["incidents"] == []


def test_a_question_about_something_else_gets_no_incident(world: World, pbx_down):
    customer = Client()
    customer.force_login(world.member.user)
    answer = customer.post(
        "/api/chat", {"message": "How do I reset my password?"}, content_type="application/json"
    ).json()
    assert answer["incidents"] == []


def test_the_new_case_form_offers_the_ongoing_incident_and_links_the_case(world: World, pbx_down):
    customer = Client()
    customer.force_login(world.member.user)
    form = customer.get("/cases/new/").content.decode()
    assert "PBX unreachable" in form
    answer = customer.post(
        "/cases/new/",
        {
            "incident": pbx_down.pk,
            "subject": "No dial tone",
            "description": "Since 9:00.",
            "priority": "P2",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    (link,) = pbx_down.case_links.all()
    assert link.case.subject == "No dial tone" and link.linked_by == world.member.user
    stranger = Client()
    stranger.force_login(world.outsider.user)
    assert "PBX unreachable" not in stranger.get("/cases/new/").content.decode()
