"""The chat over HTTP: the widget's endpoints, the agents' pages, polling between the two
sides on a real server, and POST /api/chat."""

import json
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supportdesk.accounts.services import issue_token
from supportdesk.channels.chat.models import Conversation
from supportdesk.knowledge import demo
from tests.channels.chat.conftest import grant_live_chat
from tests.factories import make_world


def post(client, name, data=None, **kwargs):
    return client.post(reverse(name, kwargs=kwargs), data or {}, HTTP_ACCEPT="application/json")


def test_widget_answers_then_hands_off_to_a_case(client, chat_world):
    client.force_login(chat_world.member.user)
    first = post(client, "chat_send", {"message": "Quanto tempo demora a portabilidade?"}).json()
    answer = first["messages"][-1]
    assert answer["sender"] == "bot" and answer["answer"]["article"] == "meetwave-number-porting-pt"
    pk = first["conversation"]
    handed = post(client, "chat_person", {"after": answer["id"]}, pk=pk).json()
    assert handed["state"] == "case" and handed["case"]
    assert all(m["id"] > answer["id"] for m in handed["messages"])
    # another customer cannot read or write this conversation
    client.force_login(chat_world.outsider.user)
    assert client.get(reverse("chat_poll", args=[pk])).status_code == 404
    again = post(client, "chat_send", {"message": "hello", "conversation": pk}).json()
    assert again["conversation"] != pk


def test_agents_list_waiting_chats_and_take_them(client, chat_world):
    customer = Client()
    customer.force_login(chat_world.admin.user)
    pk = post(customer, "chat_send", {"message": "chcę rozmawiać z konsultantem"}).json()[
        "conversation"
    ]
    client.force_login(chat_world.agent)
    listing = client.get(reverse("desk_chats")).content.decode()
    assert "Ana Silva" in listing and reverse("desk_chat_take", args=[pk]) in listing
    assert client.get(reverse("desk_chats"), {"partial": 1}).status_code == 200
    client.post(reverse("desk_chat_take", args=[pk]))
    page = client.get(reverse("desk_chat", args=[pk])).content.decode()
    assert "SupportChat.agent" in page and "kb-insert" in page
    sent = post(client, "desk_chat_send", {"message": "Dzień dobry!"}, pk=pk).json()
    assert sent["state"] == "live"
    seen = customer.get(reverse("chat_poll", args=[pk])).json()["messages"]
    assert any(m["sender"] == "agent" and m["body"] == "Dzień dobry!" for m in seen)
    client.force_login(chat_world.member.user)
    assert client.get(reverse("desk_chats")).status_code == 404


def test_a_chat_waiting_over_two_minutes_stands_out(client, chat_world):
    customer = Client()
    customer.force_login(chat_world.admin.user)
    pk = post(customer, "chat_send", {"message": "chcę rozmawiać z konsultantem"}).json()[
        "conversation"
    ]
    client.force_login(chat_world.agent)
    assert 'class="late"' not in client.get(reverse("desk_chats")).content.decode()
    Conversation.objects.filter(pk=pk).update(handed_off_at=timezone.now() - timedelta(minutes=3))
    assert 'class="late"' in client.get(reverse("desk_chats")).content.decode()


class Browserless:
    """A minimal HTTP client with its own cookies (urllib only): one person on the live server."""

    def __init__(self, base: str, user) -> None:
        django_client = Client()
        django_client.force_login(user)
        self.base = base
        self.session = django_client.cookies["sessionid"].value
        self.csrf = ""
        with urllib.request.urlopen(self._request("/kb/"), timeout=10) as response:
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
        self.csrf = cookies["csrftoken"].value

    def _request(self, path: str, data: bytes | None = None) -> urllib.request.Request:
        request = urllib.request.Request(self.base + path, data=data)
        cookie = f"sessionid={self.session}" + (f"; csrftoken={self.csrf}" if self.csrf else "")
        request.add_header("Cookie", cookie)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("X-CSRFToken", self.csrf)
        return request

    def _open(self, request: urllib.request.Request):
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
            return json.loads(body) if "json" in response.headers.get("content-type", "") else body

    def get(self, path: str, **params):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return self._open(self._request(path + query))

    def post(self, path: str, **fields):
        return self._open(self._request(path, urllib.parse.urlencode(fields).encode()))


@pytest.mark.django_db(transaction=True)
def test_new_messages_reach_the_other_side_within_two_seconds(live_server):
    """Two HTTP clients on a live server: each side polls and sees the other's message."""
    world = make_world()
    grant_live_chat(world)
    demo.load_demo_kb()
    customer = Browserless(live_server.url, world.admin.user)
    agent = Browserless(live_server.url, world.agent)

    started = customer.post("/chat/send", message="talk to a person")
    pk, last = started["conversation"], started["messages"][-1]["id"]
    agent.post(f"/desk/chats/{pk}/take")

    def wait_for(client, path, after, body):
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            for m in client.get(path, after=after)["messages"]:
                if m["body"] == body:
                    return m
            time.sleep(0.2)
        raise AssertionError(f"{body!r} did not arrive within 2 s")

    agent.post(f"/desk/chats/{pk}/send", message="Olá, sou o João.")
    seen = wait_for(customer, f"/chat/{pk}/messages", last, "Olá, sou o João.")
    assert seen["sender"] == "agent"
    customer.post("/chat/send", message="Obrigada, João!", conversation=pk)
    wait_for(agent, f"/desk/chats/{pk}/messages", seen["id"], "Obrigada, João!")
    case = Conversation.objects.get(pk=pk).case
    assert [m.body for m in case.messages.all()][-2:] == ["Olá, sou o João.", "Obrigada, João!"]


def test_api_chat_answers_anyone(client, chat_world):
    response = client.post(
        "/api/chat", {"message": "Ile trwa naprawa sprzętu?"}, content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["answer"]["article"] == "techopieka-onsite-repairs-pl"
    assert data["handoff"] is False and data["conversation"] is None


def test_api_chat_hands_a_customer_off_like_the_widget(client, chat_world):
    token = issue_token(chat_world.member.user, "script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    first = client.post(
        "/api/chat",
        {"message": "Ile trwa naprawa sprzętu?"},
        content_type="application/json",
        **auth,
    ).json()
    assert first["answer"] and first["conversation"] and first["state"] == "bot"
    second = client.post(
        "/api/chat",
        {"message": "quero falar com uma pessoa", "conversation": first["conversation"]},
        content_type="application/json",
        **auth,
    ).json()
    assert second["handoff"] is True and second["state"] == "case" and second["case"]
    bad = client.post(
        "/api/chat",
        {"message": "hi"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer sd_nope",
    )
    assert bad.status_code == 401
