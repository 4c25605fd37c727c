"""Calls as a carrier makes them: signed form posts to the real views, TwiML read back.

The world: WebPlug's main line +351 21 000 0100 on Lisbon hours (Mon-Fri 09:00-13:00,
14:00-18:00) with a menu (1 technical support → team geral, 3 extension, 4 more options → a
submenu, 9 voicemail), and the priority line +351 21 000 0247 around the clock. João (team
geral, extension 101) takes calls on +351 911 000 001. Monday 9 March 2026 10:00 Lisbon is
10:00 UTC.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from supportdesk.accounts.models import Brand, Team
from supportdesk.channels.voice import callback, calls, carrier
from supportdesk.channels.voice.choices import AfterHours, OptionKind
from supportdesk.channels.voice.models import (
    AgentLine,
    Call,
    CallBack,
    CarrierRequest,
    Menu,
    MenuOption,
    PhoneNumber,
    SupportPin,
)
from supportdesk.tickets.models import Case, Message

MAIN = "+351210000100"
PRIORITY = "+351210000247"
JOAO_PHONE = "+351911000001"
ANA_PHONE = "+351912345678"  # Ana's registered number in tests/factories.py
STRANGER = "+351933333333"
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def lines(world):
    geral = Team.objects.get(slug="geral")
    main = Menu.objects.create(
        slug="main", greeting={"pt": "Bem-vindo ao suporte WebPlug.", "en": "Welcome."}
    )
    more = Menu.objects.create(slug="more", greeting={"pt": "Mais opções.", "en": "More."})
    options = [
        (main, "1", OptionKind.TEAM, {"pt": "suporte técnico"}, geral, None),
        (main, "3", OptionKind.EXTENSION, {"pt": "extensão"}, None, None),
        (main, "4", OptionKind.SUBMENU, {"pt": "mais opções"}, None, more),
        (main, "9", OptionKind.VOICEMAIL, {"pt": "deixar mensagem"}, None, None),
        (more, "2", OptionKind.EXISTING_CASE, {"pt": "um pedido existente"}, None, None),
    ]
    for menu, key, kind, label, team, submenu in options:
        MenuOption.objects.create(
            menu=menu, key=key, kind=kind, label=label, team=team, submenu=submenu
        )
    PhoneNumber.objects.create(
        number=MAIN,
        name="WebPlug main line",
        language="pt",
        calendar=world.calendar,
        menu=main,
        after_hours=AfterHours.VOICEMAIL,
        country="PT",
    )
    PhoneNumber.objects.create(
        number=PRIORITY, name="WebPlug priority line", language="pt", menu=main, public=False
    )
    AgentLine.objects.create(agent=world.agent.agent, phone=JOAO_PHONE, extension="101")
    return world


class Carrier:
    """Posts what a TwiML carrier posts, signed with the account's token."""

    def __init__(self, client, sid: str = "CA0001", caller: str = ANA_PHONE, to: str = MAIN):
        self.client, self.sid, self.caller, self.to = client, sid, caller, to

    def post(self, path: str, signature: str | None = None, **fields: str):
        form = {"CallSid": self.sid, "AccountSid": "AC1", "From": self.caller, "To": self.to}
        form.update(fields)
        url = "http://testserver" + path
        signed = carrier.sign(url, form) if signature is None else signature
        return self.client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signed)

    def twiml(self, path: str, **fields: str) -> ElementTree.Element:
        response = self.post(path, **fields)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        return ElementTree.fromstring(response.content)

    def call(self, **fields: str) -> ElementTree.Element:
        return self.twiml("/channels/voice/incoming", CallStatus="ringing", **fields)

    def press(self, digits: str) -> ElementTree.Element:
        return self.twiml("/channels/voice/gather", Digits=digits)


def said(twiml: ElementTree.Element) -> str:
    return " ".join(e.text or "" for e in twiml.iter("Say"))


def case_of(sid: str) -> Case:
    return Call.objects.get(sid=sid).case


@pytest.mark.django_db
def test_unsigned_or_forged_request_is_refused_and_nothing_written(lines, client):
    phone = Carrier(client)
    assert phone.post("/channels/voice/incoming", signature="").status_code == 403
    assert phone.post("/channels/voice/incoming", signature="bm90IGl0").status_code == 403
    assert phone.post("/channels/voice/incoming", signature="assinaturaé").status_code == 403
    assert not CarrierRequest.objects.exists() and not Call.objects.exists()


@pytest.mark.django_db
def test_registered_caller_hears_the_menu_in_portuguese_and_an_agent_answers(lines, client):
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        menu = phone.call()
    assert "Bem-vindo ao suporte WebPlug." in said(menu)
    assert "Para suporte técnico, prima 1." in said(menu)
    gather = menu.find("Gather")
    assert gather.get("action").endswith("/channels/voice/gather")
    assert menu.find("Gather/Say").get("language") == "pt-PT"
    with time_machine.travel(MONDAY_10 + timedelta(seconds=20), tick=False):
        dial = phone.press("1")
    number = dial.find("Dial/Number")
    assert number.text == JOAO_PHONE
    assert "answered" in number.get("statusCallbackEvent")
    leg_url = number.get("statusCallback").removeprefix("http://testserver")
    answered = MONDAY_10 + timedelta(seconds=45)
    with time_machine.travel(answered, tick=False):
        phone.twiml(leg_url, CallStatus="in-progress", ParentCallSid=phone.sid)
        phone.twiml("/channels/voice/dial", DialCallStatus="completed")
        phone.twiml("/channels/voice/status", CallStatus="completed", CallDuration="300")
    call = Call.objects.get(sid=phone.sid)
    assert (call.outcome, call.answered_by, call.keys, call.duration) == (
        "answered",
        lines.agent,
        "1",
        300,
    )
    case = call.case
    assert case.channel == "phone" and case.contact == lines.admin
    assert case.received_at == MONDAY_10
    assert case.clocks.get(metric="first_response").met_at == answered
    assert case.status == "open" and case.assignee == lines.agent


@pytest.mark.django_db
def test_a_retried_request_changes_nothing_twice(lines, client):
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        first = phone.call()
        again = phone.call()
        phone.twiml("/channels/voice/status", CallStatus="completed", CallDuration="5")
        phone.twiml("/channels/voice/status", CallStatus="completed", CallDuration="5")
    assert said(first) == said(again)
    assert Call.objects.count() == 1 and Case.objects.count() == 1


@pytest.mark.django_db
def test_keys_sent_twice_ring_once_and_open_one_case(lines, client):
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        first = phone.press("1")
        again = phone.press("1")
        assert (
            phone.twiml("/channels/voice/dial", DialCallStatus="completed").find("Hangup")
            is not None
        )
    assert first.find("Dial/Number").text == JOAO_PHONE
    assert again.find("Dial") is None  # the call is ringing already: nothing to ring twice
    assert Case.objects.count() == 1 and Message.objects.count() == 1
    assert all(r.done_at is not None for r in CarrierRequest.objects.all())


@pytest.mark.django_db
def test_a_dial_outcome_for_a_call_the_desk_never_had_hangs_up_nothing(lines, client):
    phone = Carrier(client, sid="CA-unknown")
    with time_machine.travel(MONDAY_10, tick=False):
        answer = phone.twiml("/channels/voice/dial", DialCallStatus="completed")
    assert list(answer) == [] and not Call.objects.exists()


@pytest.mark.django_db
def test_a_caller_who_changed_while_the_keys_were_read_gets_the_case_as_the_call_now_says(
    lines, client, monkeypatch
):
    """The case is worked out before the write transaction from the call as it stood; a call
    that changed in between (here another request named another contact) is read again."""
    read_ahead = calls._read_ahead

    def meanwhile(sid: str, digits: str) -> None:
        read_ahead(sid, digits)
        Call.objects.filter(sid=sid).update(contact=lines.member)

    monkeypatch.setattr(calls, "_read_ahead", meanwhile)
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        phone.press("1")
    assert case_of(phone.sid).contact == lines.member
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_call_answered_by_an_agent_stays_within_its_statements(
    lines, client, django_assert_max_num_queries
):
    """Every step of a call is on the carrier's clock while the caller hears silence. (Under
    test each transaction is a savepoint and its release: two statements more per write.)"""
    with time_machine.travel(MONDAY_10, tick=False):
        Carrier(client, sid="CA-first").call()  # the first case also starts the numbering
        Carrier(client, sid="CA-first").press("1")
        phone = Carrier(client)
        with django_assert_max_num_queries(12):  # store; number, contact, options; the call
            phone.call()
        with django_assert_max_num_queries(22):  # store; keys and case read ahead; writes
            dial = phone.press("1")
        leg_url = dial.find("Dial/Number").get("statusCallback").removeprefix("http://testserver")
        with django_assert_max_num_queries(17):  # store; agent, user; call, case; the answer
            phone.twiml(leg_url, CallStatus="in-progress", ParentCallSid=phone.sid)
        with django_assert_max_num_queries(7):  # store; does the call exist; done
            phone.twiml("/channels/voice/dial", DialCallStatus="completed")


@pytest.mark.django_db
def test_unknown_caller_is_asked_for_a_pin_three_times_then_goes_on_unregistered(lines, client):
    SupportPin.objects.create(pin="482193", organization=lines.org)
    phone = Carrier(client, caller=STRANGER)
    with time_machine.travel(MONDAY_10, tick=False):
        assert "PIN" in said(phone.call())
        assert "PIN" in said(phone.press("111111"))
        assert "PIN" in said(phone.press("222222"))
        menu = phone.press("333333")
    assert "Bem-vindo" in said(menu)
    call = Call.objects.get(sid=phone.sid)
    assert call.pin_tries == 3 and call.organization is None


@pytest.mark.django_db
def test_a_contact_pin_identifies_the_caller_and_the_case_is_covered(lines, client):
    SupportPin.objects.create(pin="482193", organization=lines.org, contact=lines.member)
    phone = Carrier(client, caller=STRANGER)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        assert "Bem-vindo" in said(phone.press("482193"))
        phone.press("9")
    case = case_of(phone.sid)
    assert case.contact == lines.member and case.organization == lines.org


@pytest.mark.django_db
def test_closed_line_says_when_it_opens_and_takes_a_voicemail_with_transcription(lines, client):
    phone = Carrier(client)
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    with time_machine.travel(saturday, tick=False):
        closed = phone.call()
    assert "Abrimos de novo segunda-feira às 09:00." in said(closed)
    record = closed.find("Record")
    assert record.get("transcribe") == "true"
    with time_machine.travel(saturday + timedelta(minutes=2), tick=False):
        phone.twiml(
            "/channels/voice/recording",
            RecordingUrl="https://carrier.example/rec/RE1",
            RecordingDuration="20",
        )
        phone.twiml("/channels/voice/status", CallStatus="completed", CallDuration="40")
        phone.twiml(
            "/channels/voice/transcription",
            TranscriptionText="O router não liga desde ontem.",
            TranscriptionStatus="completed",
        )
    call = Call.objects.get(sid=phone.sid)
    assert call.outcome == "voicemail"
    assert call.recording_url == "https://carrier.example/rec/RE1"
    bodies = list(Message.objects.filter(case=call.case).values_list("body", flat=True))
    assert any("O router não liga desde ontem." in body for body in bodies)
    assert call.case.clocks.get(metric="first_response").met_at is None


@pytest.mark.django_db
def test_priority_line_is_open_around_the_clock(lines, client):
    phone = Carrier(client, to=PRIORITY)
    with time_machine.travel(datetime(2026, 3, 7, 3, 0, tzinfo=UTC), tick=False):
        menu = phone.call()
    assert menu.find("Gather") is not None and menu.find("Record") is None


@pytest.mark.django_db
def test_extension_and_nested_menu(lines, client):
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        assert "extensão" in said(phone.press("3")).lower()
        dial = phone.press("101")
    assert dial.find("Dial/Number").text == JOAO_PHONE

    other = Carrier(client, sid="CA0002")
    with time_machine.travel(MONDAY_10, tick=False):
        other.call()
        submenu = other.press("4")
        assert "Mais opções." in said(submenu)
        asked = other.press("2")
    assert "pedido" in said(asked).lower() or "caso" in said(asked).lower()
    assert Call.objects.get(sid="CA0002").keys == "42"


@pytest.mark.django_db
def test_abandoned_call_is_a_case_whose_clock_keeps_running(lines, client):
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        phone.twiml("/channels/voice/status", CallStatus="completed", CallDuration="7")
    call = Call.objects.get(sid=phone.sid)
    assert call.outcome == "abandoned"
    clock = call.case.clocks.get(metric="first_response")
    assert clock.met_at is None and clock.due_at is not None


@pytest.mark.django_db
def test_a_failure_still_answers_the_caller_and_the_worker_finishes_the_call(
    lines, client, monkeypatch
):
    def broken(step):
        raise RuntimeError("database is locked")

    monkeypatch.setitem(calls.STEPS, "incoming", broken)
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        answer = phone.call()
    assert answer.find("Record") is not None  # the caller can still leave a message
    stored = CarrierRequest.objects.get()
    assert stored.done_at is None and "database is locked" in stored.error
    monkeypatch.undo()
    assert calls.finish_pending(now=MONDAY_10 + timedelta(minutes=2)) == 1
    assert Call.objects.get(sid=phone.sid).rang_at == MONDAY_10


@pytest.mark.django_db
def test_a_step_failing_after_its_writes_leaves_the_request_kept_alone_for_the_worker(
    lines, client, monkeypatch
):
    """The request is written with its step; when the step's transaction rolls back after that
    (a failing commit, a bug at the end), the request is kept again on its own, not done."""
    keep_done = calls._mark_done

    def failing_at_the_end():
        keep_done()
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(calls, "_mark_done", failing_at_the_end)
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        answer = phone.call()
    assert answer.find("Record") is not None
    stored = CarrierRequest.objects.get()
    assert stored.done_at is None and "disk I/O error" in stored.error
    assert not Call.objects.exists()  # the step's writes rolled back with it
    monkeypatch.undo()
    assert calls.finish_pending(now=MONDAY_10 + timedelta(minutes=2)) == 1
    assert Call.objects.get(sid=phone.sid).rang_at == MONDAY_10
    assert CarrierRequest.objects.get().done_at is not None


@pytest.mark.django_db
def test_call_back_rings_the_agent_then_the_customer_whose_answer_meets_the_clock(
    lines, client, fake_carrier
):
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        phone.press("9")
        phone.twiml("/channels/voice/status", CallStatus="completed", CallDuration="30")
    case = case_of(phone.sid)
    client.force_login(lines.agent)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        response = client.post(reverse("case_call_back", args=[case.pk]))
        assert response.status_code == 302
        assert callback.place_pending() == 1
    placed = fake_carrier.calls[0]
    assert (placed["To"], placed["From"]) == (JOAO_PHONE, MAIN)
    outbound_sid = CallBack.objects.get().call.sid
    # The agent answers: the carrier fetches the desk's TwiML, which dials the customer.
    agent_leg = Carrier(client, sid=outbound_sid, caller=MAIN, to=JOAO_PHONE)
    dial = agent_leg.twiml(
        placed["Url"].removeprefix(settings.SITE_URL.rstrip("/")), CallStatus="in-progress"
    )
    number = dial.find("Dial/Number")
    assert number.text == ANA_PHONE
    answered = MONDAY_10 + timedelta(minutes=31)
    with time_machine.travel(answered, tick=False):
        agent_leg.twiml(
            number.get("statusCallback").removeprefix("http://testserver"),
            CallStatus="in-progress",
            ParentCallSid=outbound_sid,
        )
    case.refresh_from_db()
    assert case.clocks.get(metric="first_response").met_at == answered
    assert Call.objects.get(sid=outbound_sid).answered_by == lines.agent


@pytest.mark.django_db
def test_a_refused_call_back_is_retried_then_failed(lines, client, fake_carrier):
    case = Case.objects.create(
        subject="x",
        channel="phone",
        priority="P3",
        status="new",
        contact=lines.admin,
        organization=lines.org,
        received_at=MONDAY_10,
        updated_at=MONDAY_10,
    )
    item = callback.request_call_back(case, agent=lines.agent, at=MONDAY_10)
    fake_carrier.refuse(code=21215, message="Geo permission not enabled")
    at = MONDAY_10
    for _attempt in range(callback.MAX_ATTEMPTS):
        callback.place_pending(now=at)
        item.refresh_from_db()
        at = item.next_attempt_at
    assert item.status == "failed" and "Geo permission" in item.last_error
    assert item.call is None and item.attempts == callback.MAX_ATTEMPTS


@pytest.mark.django_db
def test_an_unknown_callers_case_belongs_to_the_provider_of_the_number_called(lines, client):
    webplug = Brand.objects.create(slug="webplug", name="WebPlug")
    PhoneNumber.objects.filter(number=MAIN).update(brand=webplug)
    phone = Carrier(client, caller=STRANGER)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
        phone.press("9")
    case = case_of(phone.sid)
    assert case.organization is None and case.brand == webplug


def test_an_agent_on_a_softphone_is_rung_as_a_client_and_answering_there_meets_the_clock(
    lines, client
):
    AgentLine.objects.filter(agent=lines.agent.agent).update(phone="", softphone="joao.costa")
    phone = Carrier(client)
    with time_machine.travel(MONDAY_10, tick=False):
        phone.call()
    with time_machine.travel(MONDAY_10 + timedelta(seconds=20), tick=False):
        dial = phone.press("1")
    assert dial.find("Dial/Number") is None
    softphone = dial.find("Dial/Client")
    assert softphone is not None and softphone.text == "joao.costa"
    assert "answered" in softphone.get("statusCallbackEvent")
    answered = MONDAY_10 + timedelta(seconds=31)
    with time_machine.travel(answered, tick=False):
        leg = softphone.get("statusCallback").removeprefix("http://testserver")
        phone.twiml(leg, CallStatus="in-progress", ParentCallSid=phone.sid)
    case = case_of(phone.sid)
    assert case.clocks.get(metric="first_response").met_at == answered
    assert case.assignee == lines.agent


@pytest.mark.django_db
def test_a_changed_set_up_is_heard_on_the_next_call(lines, client):
    """Each process keeps the numbers, menus and lines it read; a saved change (the world file,
    the admin) is heard on the very next call."""
    with time_machine.travel(MONDAY_10, tick=False):
        assert "suporte técnico" in said(Carrier(client, sid="CA-before").call())
        assert Carrier(client, sid="CA-before").press("1").find("Dial/Number") is not None

        option = MenuOption.objects.get(menu__slug="main", key="1")
        option.label = {"pt": "apoio ao cliente"}
        option.save()
        line = AgentLine.objects.get(extension="101")
        line.available = False
        line.save()

        menu = said(Carrier(client, sid="CA-after").call())
        assert "apoio ao cliente" in menu and "suporte técnico" not in menu
        nobody = Carrier(client, sid="CA-after").press("1")
    assert nobody.find("Dial") is None and nobody.find("Record") is not None


@pytest.mark.django_db
def test_a_carrier_request_with_a_nul_is_refused_before_it_is_stored(lines, client):
    form = {"CallSid": "CA-nul", "From": ANA_PHONE, "To": "+351\x00", "CallStatus": "ringing"}
    response = client.post(  # as carriers post: a urlencoded form
        "/channels/voice/incoming",
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=carrier.sign("http://testserver/channels/voice/incoming", form),
    )
    assert response.status_code == 400
    assert b"To contains a NUL character" in response.content
    assert not CarrierRequest.objects.exists()


@pytest.mark.django_db
def test_extensions_keyed_at_random_keep_the_kept_set_up_bounded(lines, client, monkeypatch):
    """Callers key what they like: a process never keeps more than its bound of set-up reads."""
    from supportdesk.channels.voice import setup

    monkeypatch.setattr(setup, "MOST_KEPT", 5)
    with time_machine.travel(MONDAY_10, tick=False):
        for n in range(12):
            phone = Carrier(client, sid=f"CA-ext-{n}")
            phone.call()
            phone.press("3")
            assert "extensão" in said(phone.press(f"9{n:03d}"))  # no such extension: the menu
            assert len(setup._kept) <= 5


@pytest.mark.django_db
def test_where_https_is_required_a_carrier_posting_plain_http_is_redirected(
    lines, client, settings
):
    settings.SECURE_SSL_REDIRECT = True
    response = Carrier(client).post("/channels/voice/incoming", CallStatus="ringing")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/channels/voice/incoming"
    assert not CarrierRequest.objects.exists()
