"""The agents' chat page names who took the chat, also when they took it by answering."""

from django.test import Client
from django.urls import reverse

from supportdesk.channels.chat.models import Conversation


def test_the_chat_names_its_agent_once_one_answers_a_waiting_chat(chat_world):
    customer, agent = Client(), Client()
    customer.force_login(chat_world.admin.user)
    accept = {"HTTP_ACCEPT": "application/json"}
    pk = customer.post(
        reverse("chat_send"), {"message": "chcę rozmawiać z konsultantem"}, **accept
    ).json()["conversation"]
    assert Conversation.objects.get(pk=pk).state == "waiting"
    agent.force_login(chat_world.agent)
    page = agent.get(reverse("desk_chat", args=[pk])).content.decode()
    assert 'id="chat-agent-name">—<' in page
    # Answering without pressing "Take" takes the chat: the page's poll learns who did.
    sent = agent.post(reverse("desk_chat_send", args=[pk]), {"message": "Dzień dobry"}, **accept)
    assert sent.json()["agent"] == str(chat_world.agent)
    polled = agent.get(reverse("desk_chat_messages", args=[pk]), **accept).json()
    assert polled["agent"] == str(chat_world.agent)
