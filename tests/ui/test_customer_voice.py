"""Only the customer's own session speaks as the customer: an agent posting to the customer's
page of a case adds nothing, reopens nothing and resumes no clock."""

import pytest
from django.urls import reverse

from supportdesk.tickets import services
from supportdesk.tickets.choices import EventKind, MessageKind, Status
from supportdesk.tickets.models import Case, Event


@pytest.fixture
def waiting(world) -> Case:
    case = services.open_case(subject="VPN", body="Sem acesso", channel="web", contact=world.admin)
    services.post_reply(case, author=world.agent, body="Pode reiniciar o router?")
    services.update_case(case, services.CaseChanges(status=Status.WAITING), actor=world.agent)
    case.refresh_from_db()
    assert case.status == Status.WAITING
    return case


@pytest.mark.django_db
def test_an_agent_cannot_post_as_the_customer(world, client, waiting):
    messages = waiting.messages.count()
    client.force_login(world.agent)
    response = client.post(reverse("my_case", args=[waiting.pk]), {"body": "Já funciona."})
    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == Status.WAITING and waiting.messages.count() == messages
    assert not waiting.messages.filter(kind=MessageKind.CUSTOMER, body="Já funciona.").exists()


@pytest.mark.django_db
def test_an_agent_opening_the_customers_page_is_sent_to_the_case_page(world, client, waiting):
    client.force_login(world.agent)
    response = client.get(reverse("my_case", args=[waiting.pk]))
    assert response.status_code == 302
    assert response.url == reverse("case_detail", args=[waiting.pk])


@pytest.mark.django_db
def test_the_customers_message_names_them_and_reopens_the_case(world, client, waiting):
    client.force_login(world.admin.user)
    client.post(reverse("my_case", args=[waiting.pk]), {"body": "Já funciona."})
    message = waiting.messages.get(body="Já funciona.")
    assert message.kind == MessageKind.CUSTOMER and message.author == world.admin.user
    waiting.refresh_from_db()
    assert waiting.status == Status.OPEN
    reopened = Event.objects.filter(case=waiting, kind=EventKind.STATUS).latest("pk")
    assert reopened.actor == world.admin.user
