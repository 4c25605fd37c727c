"""The consent rules, through the services with explicit instants: asked, given within 15
minutes by someone who sees the case, used for one session only, with the password step."""

from datetime import timedelta

import pytest

from supportdesk.remote import services
from supportdesk.remote.choices import ConsentState, Tool
from supportdesk.remote.errors import RemoteError, RemoteErrorCode
from supportdesk.remote.models import ConsentRequest, RemoteSession
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import Channel, EventKind
from supportdesk.tickets.models import OutboundMessage
from tests.remote.conftest import T0

pytestmark = pytest.mark.django_db

ASKED = T0 + timedelta(minutes=10)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def consent(request, contact, at, ip="192.0.2.7"):
    return services.give_consent(request, contact=contact, ip=ip, user_agent=BROWSER, at=at)


def start(case, agent, at, confirmed=True):
    return services.start_session(
        case,
        agent=agent,
        tool=Tool.ANYDESK,
        session_id="123 456 789",
        password_typed_by_user=confirmed,
        at=at,
    )


def refusal(call) -> RemoteErrorCode:
    with pytest.raises(RemoteError) as caught:
        call()
    return caught.value.code


def test_asking_mails_and_texts_the_link_and_keeps_only_the_tokens_hash(world, case, settings):
    settings.SMS_FROM = "+351210000100"
    request, token = services.ask_consent(case, agent=world.agent, at=ASKED)
    assert request.digest == ConsentRequest.hash(token) and token not in request.digest
    assert request.expires_at == ASKED + timedelta(minutes=15)
    mail = OutboundMessage.objects.get(case=case, channel=Channel.EMAIL)
    text = OutboundMessage.objects.get(case=case, channel=Channel.SMS)
    assert mail.to == "ana@cliente-b.pt" and f"/remote/consent/{token}/" in mail.body
    assert "João Costa" in mail.body and "you type it yourself" in mail.body
    assert text.to == "+351912345678" and f"/remote/consent/{token}/" in text.body
    event = case.events.get(kind=EventKind.REMOTE_ASKED)
    assert event.actor == world.agent
    assert event.after["to"] == ["+351912345678", "ana@cliente-b.pt"]


def test_no_text_without_a_phone_number_or_a_number_to_send_from(world, settings):
    settings.SMS_FROM = "+351210000100"
    bruno = cases.open_case(subject="Printer", body="!", channel="web", contact=world.member, at=T0)
    services.ask_consent(bruno, agent=world.agent, at=ASKED)
    assert list(OutboundMessage.objects.filter(case=bruno).values_list("channel", flat=True)) == [
        Channel.EMAIL
    ]


def test_the_mail_is_in_the_contacts_language(world, case):
    world.admin.language = "pl"
    world.admin.save()
    services.ask_consent(case, agent=world.agent, at=ASKED)
    mail = OutboundMessage.objects.get(case=case)
    assert "zdalna" in mail.subject.lower() and "15 minut" in mail.body


def test_a_request_expires_15_minutes_after_asking_if_unanswered(world, case):
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    lapsed = ASKED + timedelta(minutes=15)
    assert request.state(lapsed) == ConsentState.EXPIRED
    code = refusal(lambda: consent(request, world.admin, lapsed))
    assert code == RemoteErrorCode.EXPIRED
    with pytest.raises(RemoteError, match="expired"):
        consent(request, world.admin, lapsed)
    given = consent(request, world.admin, lapsed - timedelta(seconds=1))
    assert given.consented_by == world.admin


def test_a_consent_no_session_used_lapses_15_minutes_after_it_was_given(world, case):
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    given_at = ASKED + timedelta(minutes=12)
    consent(request, world.admin, given_at)
    late = given_at + timedelta(minutes=15)
    assert refusal(lambda: start(case, world.agent, late)) == RemoteErrorCode.EXPIRED
    assert start(case, world.agent, late - timedelta(seconds=1)).consent == request


def test_a_consent_allows_one_session_and_is_given_once(world, case):
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    consent(request, world.admin, ASKED + timedelta(minutes=1))
    assert refusal(lambda: consent(request, world.admin, ASKED + timedelta(minutes=2))) == (
        RemoteErrorCode.USED
    )
    session = start(case, world.agent, ASKED + timedelta(minutes=2))
    services.end_session(session, agent=world.agent, notes="Repaired the profile.",
                         at=ASKED + timedelta(minutes=8))  # fmt: skip
    again = ASKED + timedelta(minutes=9)
    assert refusal(lambda: start(case, world.agent, again)) == RemoteErrorCode.USED
    assert RemoteSession.objects.filter(case=case).count() == 1
    assert request.state(again) == ConsentState.USED


def test_a_session_cannot_start_without_consent(world, case):
    assert refusal(lambda: start(case, world.agent, ASKED)) == RemoteErrorCode.NOT_GIVEN
    services.ask_consent(case, agent=world.agent, at=ASKED)  # asked, not yet given
    assert refusal(lambda: start(case, world.agent, ASKED)) == RemoteErrorCode.NOT_GIVEN
    assert not RemoteSession.objects.exists()


def test_a_session_cannot_start_without_the_password_confirmation(world, case):
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    consent(request, world.admin, ASKED + timedelta(minutes=1))
    code = refusal(lambda: start(case, world.agent, ASKED + timedelta(minutes=2), confirmed=False))
    assert code == RemoteErrorCode.NO_PASSWORD_CONFIRMATION
    assert not RemoteSession.objects.exists()
    # The consent is still there to use once the agent confirms.
    assert start(case, world.agent, ASKED + timedelta(minutes=3)).password_typed_by_user


def test_only_someone_who_sees_the_case_may_consent(world, case):
    """Another organization's administrator, and a member who is not the case's contact, are
    refused; the organization's administrators may consent for its cases."""
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    for stranger in (world.outsider, world.member):
        code = refusal(lambda s=stranger: consent(request, s, ASKED + timedelta(minutes=1)))
        assert code == RemoteErrorCode.WRONG_PERSON
    bruno = cases.open_case(subject="Printer", body="!", channel="web", contact=world.member, at=T0)
    for_bruno, _token = services.ask_consent(bruno, agent=world.agent, at=ASKED)
    assert consent(for_bruno, world.admin, ASKED + timedelta(minutes=1)).consented_by == world.admin


def test_consent_keeps_who_when_where_and_which_browser(world, case):
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    at = ASKED + timedelta(minutes=3)
    consent(request, world.admin, at, ip="2001:db8::7")
    request.refresh_from_db()
    assert (request.consented_by, request.consented_at) == (world.admin, at)
    assert (request.ip_address, request.user_agent) == ("2001:db8::7", BROWSER)
    event = case.events.get(kind=EventKind.REMOTE_CONSENTED)
    assert event.actor == world.admin.user and event.at == at
    assert event.after == {"contact": "ana@cliente-b.pt", "ip": "2001:db8::7", "browser": BROWSER}


def test_only_agents_ask_start_and_end(world, case):
    user = world.admin.user
    assert refusal(lambda: services.ask_consent(case, agent=user, at=ASKED)) == (
        RemoteErrorCode.NOT_AN_AGENT
    )
    assert refusal(lambda: start(case, user, ASKED)) == RemoteErrorCode.NOT_AN_AGENT


def test_a_session_ends_once_with_notes_and_every_step_is_an_event(world, case):
    request, _token = services.ask_consent(case, agent=world.agent, at=ASKED)
    consent(request, world.admin, ASKED + timedelta(minutes=1))
    session = start(case, world.agent, ASKED + timedelta(minutes=2))
    end = ASKED + timedelta(minutes=30)
    services.end_session(session, agent=world.agent, notes=" Rebuilt the profile. ", at=end)
    session.refresh_from_db()
    assert (session.ended_at, session.notes) == (end, "Rebuilt the profile.")
    assert refusal(lambda: services.end_session(session, agent=world.agent, at=end)) == (
        RemoteErrorCode.ENDED
    )
    kinds = list(case.events.filter(kind__startswith="remote_").values_list("kind", flat=True))
    assert kinds == ["remote_asked", "remote_consented", "remote_started", "remote_ended"]
    ended = case.events.get(kind=EventKind.REMOTE_ENDED).after
    assert ended["tool"] == "anydesk" and ended["session"] == "123 456 789"
    assert ended["end"] == end.isoformat()


def test_no_request_on_a_closed_case(world, case):
    cases.change_status(case, "closed", actor=world.agent, at=ASKED)
    code = refusal(lambda: services.ask_consent(case, agent=world.agent, at=ASKED))
    assert code == RemoteErrorCode.CLOSED
