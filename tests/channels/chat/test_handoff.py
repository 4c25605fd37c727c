"""Hand-off: live chat for plans that include it, a case with the transcript otherwise."""

import pytest

from supportdesk.channels.chat import services
from supportdesk.channels.chat.choices import ConversationState, Sender
from supportdesk.channels.chat.models import Conversation
from supportdesk.tickets.models import Case


def talk(user, *messages):
    conversation = services.start(user=user)
    said = []
    for message in messages:
        said += services.customer_says(conversation, message)
    conversation.refresh_from_db()
    return conversation, said


def test_entitlement_follows_the_plan_and_role(chat_world):
    assert services.entitlement(chat_world.admin).live
    assert not services.entitlement(chat_world.member).live
    assert not services.entitlement(None).live


def test_the_assistant_answers_from_the_kb(chat_world):
    conversation, said = talk(chat_world.member.user, "Ile trwa naprawa sprzętu?")
    bot = said[-1]
    assert bot.sender == Sender.BOT
    assert bot.data["answer"]["article"] == "techopieka-onsite-repairs-pl"
    assert bot.data["answer"]["url"].endswith("/kb/article/techopieka-onsite-repairs-pl/")
    assert conversation.state == ConversationState.BOT and conversation.case is None


def test_without_live_chat_the_conversation_becomes_a_case_with_its_transcript(chat_world):
    member = chat_world.member
    conversation, said = talk(
        member.user, "Ile trwa naprawa sprzętu?", "Quero falar com uma pessoa"
    )
    assert conversation.state == ConversationState.CASE
    case = conversation.case
    assert case.channel == "chat" and case.contact == member and case.covered
    transcript = case.messages.get().body
    assert "Ile trwa naprawa sprzętu?" in transcript
    assert "Wizyty serwisowe i naprawy TechOpieka" in transcript  # the assistant's answer
    assert "Quero falar com uma pessoa" in transcript
    assert case.label in said[-1].body
    services.customer_says(conversation, "O portátil é um ThinkPad.")
    assert case.messages.count() == 2 and "ThinkPad" in case.messages.last().body
    assert not Conversation.objects.filter(state=ConversationState.WAITING).exists()


def test_with_live_chat_an_agent_joins_and_everything_lands_on_the_case(chat_world):
    admin, agent = chat_world.admin, chat_world.agent
    conversation, _said = talk(admin.user, "talk to a person")
    assert conversation.state == ConversationState.WAITING
    assert list(Conversation.objects.waiting()) == [conversation]
    case = conversation.case
    assert case.channel == "chat" and "talk to a person" in case.messages.get().body
    services.take(conversation, agent)
    conversation.refresh_from_db()
    case.refresh_from_db()
    assert conversation.state == ConversationState.LIVE and case.assignee == agent
    services.agent_says(conversation, agent, "Olá Ana, em que posso ajudar?")
    services.customer_says(conversation, "A VPN não liga.")
    bodies = list(case.messages.values_list("kind", "body"))
    assert bodies[1:] == [
        ("agent", "Olá Ana, em que posso ajudar?"),
        ("customer", "A VPN não liga."),
    ]
    assert case.clocks.get(metric="first_response").met_at is not None
    services.close(conversation, by=agent)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CLOSED
    assert Case.objects.get(pk=case.pk).status != "closed"  # the case lives on


def test_two_unanswered_questions_hand_off_without_being_asked(chat_world):
    conversation, said = talk(
        chat_world.member.user, "Qual é o melhor restaurante em Lisboa?", "jak ugotować bigos"
    )
    assert conversation.state == ConversationState.CASE
    assert [m.sender for m in said].count(Sender.BOT) == 2


def test_anonymous_visitors_are_asked_to_sign_in(chat_world):
    conversation = services.start(session_key="abc")
    said = services.customer_says(conversation, "talk to a person")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.BOT and conversation.case is None
    assert said[-1].sender == Sender.SYSTEM


def test_only_the_agent_who_took_the_chat_writes_in_it(chat_world):
    from supportdesk.accounts.services import save_agent

    other = save_agent(name="Inês", email="ines@webplug.example", level="L1").user
    conversation, _ = talk(chat_world.admin.user, "talk to a person")
    services.take(conversation, chat_world.agent)
    with pytest.raises(services.ChatError):
        services.agent_says(conversation, other, "Olá")
    with pytest.raises(services.ChatError):
        services.take(conversation, other)
