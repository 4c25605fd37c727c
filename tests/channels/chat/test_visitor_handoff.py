"""A visitor who has not signed in and asks for a person: a sign-in link and an email form that
opens a case, received uncovered as the rules say, instead of a dead end."""

import pytest
from django.urls import reverse

from supportdesk.channels.chat import services
from supportdesk.channels.chat.choices import ConversationState
from supportdesk.channels.chat.models import Conversation
from supportdesk.tickets.choices import Channel, Coverage
from supportdesk.tickets.models import Case


def post(client, name, data=None, **kwargs):
    return client.post(reverse(name, kwargs=kwargs), data or {}, HTTP_ACCEPT="application/json")


def test_the_widget_offers_sign_in_and_email_then_opens_an_uncovered_case(client, chat_world):
    client.cookies["supportdesk_language"] = "pt"
    first = post(client, "chat_send", {"message": "O meu router não liga"}).json()
    conversation = first["conversation"]
    message = {"message": "quero falar com uma pessoa", "conversation": conversation}
    state = post(client, "chat_send", message).json()
    offer = [m for m in state["messages"] if m.get("visitor")]
    assert offer and offer[-1]["visitor"] == {
        "sign_in": reverse("login"),
        "write": reverse("chat_write"),
    }
    assert "deixe o seu endereço de email" in offer[-1]["body"]
    pk = state["conversation"]
    # Ana's address: typed by someone who has not signed in, it proves nothing.
    done = post(client, "chat_email", {"email": " ana@cliente-b.pt "}, pk=pk).json()
    assert done["state"] == ConversationState.CASE and done["case"]
    case = Case.objects.get()
    assert case.channel == Channel.WEB and case.requester_address == "ana@cliente-b.pt"
    assert case.contact is None and case.organization is None and not case.covered
    assert case.coverage_code == Coverage.SENDER_NOT_REGISTERED
    body = case.messages.get().body
    assert "O meu router não liga" in body and "quero falar com uma pessoa" in body
    assert "ana@cliente-b.pt" in done["messages"][-1]["body"]
    again = post(client, "chat_email", {"email": "x@example.com"}, pk=pk)
    assert again.status_code == 400 and Case.objects.count() == 1


def test_an_address_that_is_not_one_is_refused(client, chat_world):
    state = post(client, "chat_send", {"message": "talk to a person"}).json()
    refused = post(client, "chat_email", {"email": "not an address"}, pk=state["conversation"])
    assert refused.status_code == 400 and "email address" in refused.json()["error"]
    assert not Case.objects.exists()


def test_someone_elses_chat_cannot_be_turned_into_a_case(client, chat_world):
    conversation = services.start(session_key="another-session")
    response = post(client, "chat_email", {"email": "a@example.com"}, pk=conversation.pk)
    assert response.status_code == 404 and not Case.objects.exists()


def test_the_write_to_us_page_opens_an_uncovered_web_case(client, chat_world):
    client.cookies["supportdesk_language"] = "pl"
    page = client.get(reverse("chat_write")).content.decode()
    assert "Zapytaj konsultanta" in page and reverse("login") in page
    invalid = client.post(reverse("chat_write"), {"email": "nope", "message": ""})
    assert invalid.status_code == 200 and not Case.objects.exists()
    done = client.post(
        reverse("chat_write"), {"email": "jan@firma.pl", "message": "Drukarka nie drukuje"}
    ).content.decode()
    case = Case.objects.get()
    assert case.label in done and "jan@firma.pl" in done
    assert case.channel == Channel.WEB and not case.covered and case.contact is None
    assert case.messages.get().body == "Drukarka nie drukuje"


def test_signed_in_customers_open_a_case_in_the_portal_instead(client, chat_world):
    client.force_login(chat_world.member.user)
    assert client.get(reverse("chat_write")).url == reverse("new_case")


@pytest.mark.parametrize(
    ("language", "help_centre"),
    [("en", "Help centre"), ("pl", "Centrum pomocy"), ("pt", "Centro de ajuda")],
)
def test_the_sign_in_page_links_the_help_centre(client, db, language, help_centre):
    client.cookies["supportdesk_language"] = language
    page = client.get(reverse("login")).content.decode()
    assert f'<a href="{reverse("kb")}">{help_centre}' in page
    assert reverse("chat_write") in page


def test_a_visitor_case_keeps_what_they_add_afterwards(client, chat_world):
    state = post(client, "chat_send", {"message": "talk to a person"}).json()
    pk = state["conversation"]
    post(client, "chat_email", {"email": "visitor@example.com"}, pk=pk)
    post(client, "chat_send", {"message": "It is urgent", "conversation": pk})
    case = Conversation.objects.get(pk=pk).case
    assert list(case.messages.values_list("body", flat=True))[-1] == "It is urgent"
