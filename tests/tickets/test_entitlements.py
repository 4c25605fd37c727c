"""The entitlement matrix decides, on every way in, with the demo's MeetWave plans (Zoom's
Access, Premier and Premier+): who may open a web case, whose email and calls are covered,
whose cases start at Level 2, who chats with a person, and what the help centre shows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from supportdesk.accounts.models import Contact, Team
from supportdesk.accounts.services import issue_token, save_agent, save_contact
from supportdesk.channels.chat import services as chat
from supportdesk.channels.chat.choices import ConversationState
from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.models import Mailbox
from supportdesk.knowledge import services as kb
from supportdesk.knowledge.models import Article
from supportdesk.plans.models import Plan
from supportdesk.tickets import services
from supportdesk.tickets.display import describe_event
from supportdesk.tickets.models import Case, OutboundMessage
from supportdesk.world.demo import DEMO_WORLD
from supportdesk.world.loader import load_file
from tests.channels.email.conftest import build

pytestmark = pytest.mark.django_db

#: Zoom's matrix as its plan page states it: the level each role reaches on each way in
#: (None: not entitled). Email follows tickets; phone on Access is for administrators only.
L1, L2 = "L1", "L2"
ACCESS = {
    "member": {"web": None, "email": None, "phone": None, "chat": None},
    "licensed_member": {"web": L1, "email": L1, "phone": None, "chat": L1},
    "admin": {"web": L1, "email": L1, "phone": L1, "chat": L1},
}
PREMIER = {
    "member": {"web": None, "email": None, "phone": None, "chat": None},
    "licensed_member": {"web": L1, "email": L1, "phone": L1, "chat": L1},
    "admin": {"web": L2, "email": L2, "phone": L2, "chat": L2},
}
EXPECTED = {
    "escola-atlantico": ACCESS,  # MeetWave Access
    "wisla-logistyka": PREMIER,  # MeetWave Premier
    "baltyk-media": PREMIER,  # MeetWave Premier+
}
MISSING = {"web": "ticket_l1", "email": "email_l1", "phone": "phone_l1", "chat": "chat_l1"}


@pytest.fixture
def meetwave() -> dict[tuple[str, str], Contact]:
    """The demo world, with one contact of every role in each MeetWave customer."""
    load_file(DEMO_WORLD)
    people = {}
    for slug in EXPECTED:
        contacts = Contact.objects.filter(organization__slug=slug).select_related("organization")
        for role in ("member", "licensed_member", "admin"):
            contact = next((c for c in contacts if c.role == role), None)
            if contact is None:
                organization = contacts[0].organization
                contact = save_contact(
                    organization,
                    name=f"Nowa {role}",
                    role=role,
                    email=f"{role}@{slug}.example",
                    phone=f"+4850000{len(people):04d}",
                    language="pl",
                )
            people[slug, role] = contact
    return people


def cases():
    for slug, table in EXPECTED.items():
        for role, levels in table.items():
            yield slug, role, levels


def _address(contact: Contact, kind: str) -> str:
    value = contact.email if kind == "email" else contact.phone
    if value is None:  # a demo contact without a number: register one
        value = f"+4851{contact.pk:07d}"
        contact.addresses.create(kind="phone", value=value)
    return value


def test_the_plans_carry_zooms_matrix(meetwave):
    access = Plan.objects.get(slug="meetwave-access").entitlements
    premier = Plan.objects.get(slug="meetwave-premier").entitlements
    assert access["phone_l1"] == ["admin"] and "ticket_l2" not in access
    assert premier["ticket_l1"] == ["licensed_member"] and premier["ticket_l2"] == ["admin"]
    assert Plan.objects.get(slug="meetwave-premier-plus").entitlements == premier


def test_web_portal_refuses_whom_the_plan_does_not_entitle_and_says_why(meetwave, client):
    for slug, role, levels in cases():
        contact = meetwave[slug, role]
        client.force_login(contact.user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
        page = client.get(reverse("new_case"))
        posted = client.post(
            reverse("new_case"), {"subject": f"{slug} {role}", "description": "x", "priority": "P3"}
        )
        case = Case.objects.filter(subject=f"{slug} {role}").first()
        if levels["web"] is None:
            text = page.content.decode()
            assert page.status_code == posted.status_code == 403, (slug, role)
            assert case is None, (slug, role)
            assert "nie możesz tutaj otworzyć zgłoszenia" in text  # why, in Polish
            assert "wsparcie 1. poziomu przez zgłoszenie w portalu" in text  # which entitlement
            assert "Przeszukaj centrum pomocy" in text  # the help centre instead
            can = [c for (s, r), c in meetwave.items() if s == slug and EXPECTED[s][r]["web"]]
            assert can and all(c.name in text for c in can)  # whom to ask
        else:
            assert page.status_code == 200 and posted.status_code == 302, (slug, role)
            assert case.level == levels["web"] and case.covered, (slug, role)


def test_api_answers_403_not_entitled_naming_the_entitlement(meetwave, client):
    for slug, role, levels in cases():
        token = issue_token(meetwave[slug, role].user, "test")
        response = client.post(
            "/api/cases",
            {"subject": f"{slug} {role}", "body": "x", "priority": "P3"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        if levels["web"] is None:
            assert response.status_code == 403, (slug, role)
            body = response.json()
            assert body["code"] == "not_entitled" and body["entitlement"] == "ticket_l1"
            assert "level 1 support by web case" in body["detail"]
        else:
            assert response.status_code == 201, (slug, role)
            case = Case.objects.get(subject=f"{slug} {role}")
            assert case.channel == "api" and case.level == levels["web"] and case.covered


def test_email_is_never_refused_and_the_acknowledgement_explains(meetwave):
    Mailbox.objects.create(address="support@meetwave.example", is_default=True)
    for slug, role, levels in cases():
        contact = meetwave[slug, role]
        outcome = receive(
            build(sender=contact.email, to="support@meetwave.example", subject=f"{slug} {role}")
        )
        case = Case.objects.get(pk=outcome.case)
        ack = OutboundMessage.objects.get(case=case).body
        if levels["email"] is None:
            assert not case.covered and case.coverage_code == "not_entitled", (slug, role)
            assert case.coverage_param == "email_l1" and case.level == L1
            assert "nie obejmuje: wsparcie 1. poziomu przez e-mail" in ack  # in Polish
            can = [c for (s, r), c in meetwave.items() if s == slug and EXPECTED[s][r]["email"]]
            assert all(c.name in ack for c in can), ack  # whom to ask
        else:
            assert case.covered and case.level == levels["email"], (slug, role)
            assert "not_entitled" not in ack


def test_phone_cases_are_received_and_follow_the_matrix(meetwave):
    for slug, role, levels in cases():
        contact = meetwave[slug, role]
        case = services.open_case(
            subject="call", body="x", channel="phone", sender=_address(contact, "phone")
        )
        assert case.contact == contact, (slug, role)
        if levels["phone"] is None:
            assert not case.covered and case.coverage_code == "not_entitled", (slug, role)
            assert case.coverage_param == "phone_l1"
            assert "does not include level 1 support by phone" in case.coverage_reason
        else:
            assert case.covered and case.level == levels["phone"], (slug, role)


def test_chat_hands_to_a_person_only_whom_the_plan_gives_chat(meetwave):
    for slug, role, levels in cases():
        contact = meetwave[slug, role]
        conversation = chat.start(user=contact.user)
        chat.request_person(conversation)
        conversation.refresh_from_db()
        case = conversation.case
        if levels["chat"] is None:
            assert conversation.state == ConversationState.CASE, (slug, role)
            assert not case.covered and case.coverage_param == "chat_l1"
        else:
            assert conversation.state == ConversationState.WAITING, (slug, role)
            assert case.covered and case.level == levels["chat"], (slug, role)


def test_direct_level_2_starts_in_the_level_2_teams_queue_and_says_so(meetwave, client):
    admin = meetwave["wisla-logistyka", "admin"]
    case = services.open_case(subject="x", body="y", channel="web", contact=admin)
    assert case.level == L2 and case.team == Team.objects.get(slug="meetwave-l2")
    event = case.events.get(kind="direct_level_2")
    assert event.after == {"entitlement": "ticket_l2", "team": "meetwave-l2"}
    assert describe_event(event) == (
        "Started at Level 2: the requester's role includes direct level 2 support by web case, "
        "meetwave-l2"
    )
    licensed = meetwave["wisla-logistyka", "licensed_member"]
    case = services.open_case(subject="x", body="y", channel="web", contact=licensed)
    assert case.level == L1 and case.team is None
    assert not case.events.filter(kind="direct_level_2").exists()


def test_without_a_single_level_2_team_the_case_waits_for_routing(meetwave):
    brand = Team.objects.get(slug="meetwave-l2").agents.get().brand
    save_agent(name="Ola", email="ola@meetwave.example", level="L2", teams=["b"], brand=brand)
    case = services.open_case(
        subject="x", body="y", channel="web", contact=meetwave["baltyk-media", "admin"]
    )
    assert case.level == L2 and case.team is None
    assert case.events.get(kind="direct_level_2").after["team"] is None


def test_automatic_escalation_stays_the_plans(meetwave):
    """Premier+ escalates a breached Level 1 case; Premier does not."""
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, both contracts in force
    for slug, escalates in (("baltyk-media", True), ("wisla-logistyka", False)):
        contact = meetwave[slug, "licensed_member"]
        case = services.open_case(
            subject="down", body="y", channel="web", priority="P1", contact=contact, at=at
        )
        services.sweep(now=at + timedelta(hours=5))
        case.refresh_from_db()
        assert case.level == (L2 if escalates else L1), slug


def test_help_centre_and_assistant_follow_the_matrix(meetwave, client):
    for visibility in ("public", "customers"):
        kb.save_article(
            f"mw-{visibility}",
            lang="en",
            title=f"Article for {visibility}",
            body="Breakout rooms for exams.",
            status="published",
            visibility=visibility,
        )
    plan = Plan.objects.get(slug="meetwave-premier")
    member = meetwave["wisla-logistyka", "member"]
    readable = set(Article.objects.visible_to(member.user).values_list("external_id", flat=True))
    assert {"mw-public", "mw-customers"} <= readable
    plan.entitlements = {**plan.entitlements, "help_center": ["admin"], "chatbot": ["admin"]}
    plan.save()
    readable = set(Article.objects.visible_to(member.user).values_list("external_id", flat=True))
    assert "mw-public" in readable and "mw-customers" not in readable
    client.force_login(member.user)
    assert client.get(reverse("kb_article", args=["mw-customers"])).status_code == 404
    # Without the chatbot the question goes to a person: here a case, as the member has no chat.
    conversation = chat.start(user=member.user)
    said = chat.customer_says(conversation, "Breakout rooms for exams?")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CASE and len(said) == 3
    assert all(m.sender != "bot" for m in said)
