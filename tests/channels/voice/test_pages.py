"""The phone pages people use: "Call us" in the portal, the agents' calls of the day, the case
page's calls, the agent's line on their profile, and the phone simulator, which drives the
same signed webhooks as a carrier. The world is test_calls's (WebPlug's two lines, João on
extension 101); Monday 9 March 2026 10:00 Lisbon is 10:00 UTC."""

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.services import save_preferences
from supportdesk.channels.voice.models import AgentLine, Call, SupportPin
from supportdesk.plans.models import Contract
from supportdesk.tickets.models import Message
from tests.channels.voice.test_calls import (
    ANA_PHONE,
    JOAO_PHONE,
    MAIN,
    MONDAY_10,
    PRIORITY,
    STRANGER,
    Carrier,
    said,
)
from tests.factories import make_two_brands

SATURDAY_11 = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, name: str, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


# ------------------------------------------------------------------------------ call us


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "opens"),
    [("Europe/Lisbon", "Opens Monday 09:00"), ("Europe/Warsaw", "Opens Monday 10:00")],
)
def test_call_us_says_when_a_closed_line_opens_in_the_customers_zone(lines, zone, opens):
    save_preferences(lines.member.user, timezone_name=zone, language="en")
    with time_machine.travel(SATURDAY_11, tick=False):
        text = page(signed_in(lines.member.user), "call_us")
    assert "Portugal" in text and MAIN in text and opens in text
    assert "Monday–Friday" in text and "09:00–13:00, 14:00–18:00" in text
    assert "Press <kbd>1</kbd>: suporte técnico" in text
    assert PRIORITY not in text  # unlisted, and not this organization's line


@pytest.mark.django_db
def test_call_us_open_now_and_in_portuguese(lines):
    save_preferences(lines.member.user, timezone_name="Europe/Lisbon", language="")
    with time_machine.travel(MONDAY_10, tick=False):
        assert "Open now" in page(signed_in(lines.member.user), "call_us")
    with time_machine.travel(SATURDAY_11, tick=False):
        client = signed_in(lines.member.user)
        client.cookies["supportdesk_language"] = "pt"
        text = page(client, "call_us")
    assert "Ligue-nos" in text and "Abre segunda-feira às 09:00" in text


@pytest.mark.django_db
def test_the_designated_priority_line_is_shown_to_its_organization_only(lines):
    Contract.objects.filter(organization=lines.org).update(designated_phone=PRIORITY)
    with time_machine.travel(SATURDAY_11, tick=False):
        ours = page(signed_in(lines.admin.user), "call_us")
        theirs = page(signed_in(lines.outsider.user), "call_us")
    assert PRIORITY in ours and "Open around the clock" in ours
    assert PRIORITY not in theirs and MAIN in theirs


@pytest.mark.django_db
def test_a_customer_sees_their_own_organizations_pin_only(lines):
    SupportPin.objects.create(pin="482193", organization=lines.org)
    SupportPin.objects.create(pin="771100", organization=lines.other_org)
    SupportPin.objects.create(pin="550055", organization=lines.org, contact=lines.member)
    admin = page(signed_in(lines.admin.user), "call_us")
    member = page(signed_in(lines.member.user), "call_us")
    outsider = page(signed_in(lines.outsider.user), "call_us")
    assert "482193" in admin and "771100" not in admin and "550055" not in admin
    assert "550055" in member and "771100" not in member  # the member's own PIN
    assert "771100" in outsider and "482193" not in outsider


@pytest.mark.django_db
def test_call_us_is_in_the_portal_navigation_and_not_for_agents(lines):
    assert reverse("call_us") in page(signed_in(lines.member.user), "my_cases")
    assert signed_in(lines.agent).get(reverse("call_us")).status_code == 404
    assert Client().get(reverse("call_us")).status_code == 302  # to sign in


# ---------------------------------------------------------------------------- agent pages


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["todays_calls", "phone_simulator"])
def test_agent_pages_are_for_agents_only(lines, name):
    assert signed_in(lines.admin.user).get(reverse(name)).status_code == 404
    assert Client().get(reverse(name)).status_code == 302
    assert signed_in(lines.agent).get(reverse(name)).status_code == 200


def make_calls(lines, client):
    """Today: an answered call at 10:00, an abandoned one at 10:05, a voicemail at 10:10; and
    an abandoned call yesterday."""
    answered = Carrier(client, sid="CA-answered")
    with time_machine.travel(MONDAY_10, tick=False):
        answered.call()
        leg = answered.press("1").find("Dial/Number").get("statusCallback")
        answered.twiml(leg.removeprefix("http://testserver"), CallStatus="in-progress")
        answered.twiml("/channels/voice/status", CallStatus="completed", CallDuration="300")
    abandoned = Carrier(client, sid="CA-abandoned", caller=STRANGER)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=5), tick=False):
        abandoned.call()
        abandoned.twiml("/channels/voice/status", CallStatus="completed", CallDuration="7")
    voicemail = Carrier(client, sid="CA-voicemail")
    with time_machine.travel(MONDAY_10 + timedelta(minutes=10), tick=False):
        voicemail.call()
        voicemail.press("9")
        voicemail.twiml(
            "/channels/voice/recording",
            RecordingUrl="https://carrier.example/rec/RE9",
            RecordingDuration="12",
        )
    yesterday = Carrier(client, sid="CA-yesterday", caller="+351939999999")
    with time_machine.travel(MONDAY_10 - timedelta(days=1), tick=False):
        yesterday.call()


@pytest.mark.django_db
def test_todays_calls_list_missed_calls_first(lines, client):
    make_calls(lines, client)
    save_preferences(lines.agent, timezone_name="Europe/Lisbon", language="en")
    with time_machine.travel(MONDAY_10 + timedelta(minutes=20), tick=False):
        text = page(signed_in(lines.agent), "todays_calls")
    rows = re.findall(r'<tr class="(missed|)">\s*<td><time datetime="([^"]+)"', text)
    assert rows == [  # missed first, newest first among them; yesterday's call is not today's
        ("missed", "2026-03-09T10:10:00+00:00"),  # the voicemail
        ("missed", "2026-03-09T10:05:00+00:00"),  # abandoned
        ("", "2026-03-09T10:00:00+00:00"),  # answered
    ]
    assert text.count("Missed") == 2 + 1  # two rows, and the sentence above them
    assert "5:00" in text and "<kbd>1</kbd>" in text and "+351939999999" not in text
    assert reverse("phone_simulator") in text


@pytest.mark.django_db
def test_an_agent_of_another_brand_does_not_see_its_customers_calls(lines, client):
    brands = make_two_brands(lines)
    make_calls(lines, client)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=20), tick=False):
        theirs = page(signed_in(brands.mw_agent), "todays_calls")
        ours = page(signed_in(lines.agent), "todays_calls")
    assert ANA_PHONE in ours and ANA_PHONE not in theirs
    assert STRANGER in theirs  # an unknown caller's case belongs to no brand: everyone's


@pytest.mark.django_db
def test_the_case_page_shows_its_calls_with_a_player_for_recordings(lines, client, settings):
    settings.TWILIO_API_BASE = "https://api.carrier.example"
    make_calls(lines, client)
    answered = Call.objects.get(sid="CA-answered")
    text = page(signed_in(lines.agent), "case_detail", answered.case.pk)
    assert f"{ANA_PHONE} → WebPlug main line" in text
    assert "<kbd>1</kbd>" in text and "João Costa" in text and "5:00" in text
    assert "<audio" not in text
    voicemail = Call.objects.get(sid="CA-voicemail")
    text = page(signed_in(lines.agent), "case_detail", voicemail.case.pk)
    assert "https://carrier.example/rec/RE9" in text and "<audio" not in text  # not the API's
    Call.objects.filter(pk=voicemail.pk).update(
        recording_url="https://api.carrier.example/2010-04-01/Accounts/AC1/Recordings/RE9"
    )
    text = page(signed_in(lines.agent), "case_detail", voicemail.case.pk)
    assert (
        f'<audio controls preload="none" src="{reverse("call_recording", args=[voicemail.pk])}"'
        in text
    )


class Recordings(BaseHTTPRequestHandler):
    """The carrier's media: one recording, for the account's credentials only."""

    def do_GET(self):
        if not self.headers.get("Authorization", "").startswith("Basic "):
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.end_headers()
        self.wfile.write(b"ID3-recording-bytes")

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_a_recording_plays_through_the_desk_and_nothing_else_is_fetched(lines, settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recordings)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_port}"
        call = Call.objects.create(
            sid="CA9", from_number=ANA_PHONE, to_number=MAIN, rang_at=MONDAY_10,
            recording_url=f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/AC1/Recordings/RE1",
        )  # fmt: skip
        url = reverse("call_recording", args=[call.pk])
        response = signed_in(lines.agent).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "audio/mpeg"
        assert b"".join(response.streaming_content) == b"ID3-recording-bytes"
        assert signed_in(lines.admin.user).get(url).status_code == 404
        Call.objects.filter(pk=call.pk).update(recording_url="http://169.254.169.254/latest")
        assert signed_in(lines.agent).get(url).status_code == 404
    finally:
        server.shutdown()


@pytest.mark.django_db
def test_an_agents_profile_shows_their_extension_and_phone(lines):
    text = page(signed_in(lines.agent), "preferences")
    assert "Your phone line" in text and "101" in text and JOAO_PHONE in text
    assert "Your phone line" not in page(signed_in(lines.admin.user), "preferences")
    AgentLine.objects.all().delete()
    assert "Your phone line" not in page(signed_in(lines.agent), "preferences")


# ------------------------------------------------------------------------------ simulator


class Simulator:
    """The simulator page's requests, as its script sends them."""

    def __init__(self, client: Client):
        self.client, self.sid = client, ""

    def post(self, kind: str, fields: dict | None = None, **extra):
        body = {"kind": kind, "fields": fields or {}, **extra}
        if self.sid and "call" not in extra:
            body["call"] = self.sid
        return self.client.post(
            reverse("phone_simulator_step"), json.dumps(body), content_type="application/json"
        )

    def step(self, kind: str, fields: dict | None = None, **extra) -> ElementTree.Element:
        response = self.post(kind, fields, **extra)
        assert response.status_code == 200, response.content
        data = response.json()
        self.sid, self.case = data["call"], data["case"]
        return ElementTree.fromstring(data["twiml"])


@pytest.mark.django_db
def test_the_simulator_calls_the_desk_as_a_carrier_and_an_agent_answers(lines):
    phone = Simulator(signed_in(lines.agent))
    with time_machine.travel(MONDAY_10, tick=False):
        menu = phone.step("incoming", {"From": "+351 912 345 678", "To": MAIN})
        assert "Bem-vindo ao suporte WebPlug." in said(menu)
        assert phone.sid.startswith("CA") and len(phone.sid) == 34
        number = phone.step("gather", {"Digits": "1"}).find("Dial/Number")
        assert number.text == JOAO_PHONE
    answered = MONDAY_10 + timedelta(seconds=30)
    with time_machine.travel(answered, tick=False):
        phone.step(
            "leg",
            {"CallStatus": "in-progress", "Called": number.text},
            callback=number.get("statusCallback"),
        )
        assert phone.step("dial", {"DialCallStatus": "completed"}).find("Hangup") is not None
        phone.step("status", {"CallStatus": "completed", "CallDuration": "95"})
    call = Call.objects.get(sid=phone.sid)
    assert (call.from_number, call.to_number, call.keys) == (ANA_PHONE, MAIN, "1")
    assert (call.outcome, call.answered_by, call.duration) == ("answered", lines.agent, 95)
    assert call.case.contact == lines.admin
    assert call.case.clocks.get(metric="first_response").met_at == answered
    assert phone.case == {
        "label": call.case.label,
        "url": reverse("case_detail", args=[call.case.pk]),
    }


@pytest.mark.django_db
def test_a_voicemail_left_in_the_simulator_becomes_the_customers_message(lines):
    phone = Simulator(signed_in(lines.agent))
    with time_machine.travel(SATURDAY_11, tick=False):
        closed = phone.step("incoming", {"From": STRANGER, "To": MAIN})
        assert closed.find("Record") is not None
        thanks = phone.step("recording", {"RecordingDuration": "4", "RecordingSid": "RE1"})
        assert thanks.find("Hangup") is not None
        phone.step("transcription", {"TranscriptionText": "O site está em baixo."})
        phone.step("status", {"CallStatus": "completed", "CallDuration": "20"})
    call = Call.objects.get(sid=phone.sid)
    assert call.outcome == "voicemail" and call.recording_url == ""
    assert Message.objects.filter(case=call.case, body__contains="O site está em baixo.").exists()


@pytest.mark.django_db
def test_the_simulator_drives_only_its_own_calls_and_says_what_is_wrong(lines, client):
    Carrier(client, sid="CA-real").call()  # a real caller's call
    phone = Simulator(signed_in(lines.agent))
    refused = phone.post("gather", {"Digits": "9"}, call="CA-real")
    assert refused.status_code == 400 and "not made here" in refused.json()["error"]
    bad_number = phone.post("incoming", {"From": "hello", "To": MAIN})
    assert "international form" in bad_number.json()["error"]
    assert (
        "desk's numbers"
        in phone.post("incoming", {"From": ANA_PHONE, "To": STRANGER}).json()["error"]
    )
    phone.step("incoming", {"From": ANA_PHONE, "To": MAIN})
    for fields, extra in (
        ({"RecordingUrl": "http://169.254.169.254/"}, {}),
        ({"CallSid": "CA-real"}, {}),
        ({}, {"callback": "http://testserver/desk/"}),
    ):
        assert phone.post("gather", fields, **extra).status_code == 400
    assert (
        phone.client.post(
            reverse("phone_simulator_step"), "{", content_type="application/json"
        ).status_code
        == 400
    )
    assert Call.objects.get(sid="CA-real").keys == ""


@pytest.mark.django_db
def test_the_simulator_needs_the_csrf_token_an_agent_and_the_setting(lines, settings):
    body = json.dumps({"kind": "incoming", "fields": {"From": ANA_PHONE, "To": MAIN}})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lines.agent)
    url = reverse("phone_simulator_step")
    assert strict.post(url, body, content_type="application/json").status_code == 403
    customer = signed_in(lines.admin.user)
    assert customer.post(url, body, content_type="application/json").status_code == 404
    settings.PHONE_SIMULATOR = False
    agent = signed_in(lines.agent)
    assert agent.get(reverse("phone_simulator")).status_code == 404
    assert agent.post(url, body, content_type="application/json").status_code == 404
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_simulator_page_offers_contacts_numbers_and_its_script(lines):
    text = page(signed_in(lines.agent), "phone_simulator")
    assert f'<option value="{ANA_PHONE}">Ana Silva · Cliente B, Lda. · {ANA_PHONE}</option>' in text
    assert f'<option value="{PRIORITY}">WebPlug priority line · {PRIORITY}</option>' in text
    assert "voice/phone.js" in text and "<script>" not in text
