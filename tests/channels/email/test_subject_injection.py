"""A subject is one line wherever it comes from, so the desk's replies keep their headers; and a
reply that could not be sent shows on the case and in the queue, not only in the outbox."""

import pytest
from django.urls import reverse

from supportdesk.channels.email import sending
from supportdesk.channels.email.intake import receive
from supportdesk.tickets import services
from supportdesk.tickets.choices import OutboxStatus
from supportdesk.tickets.models import Case, OutboundMessage
from tests.channels.email.conftest import build

pytestmark = pytest.mark.django_db

INJECTED = "Servidor em baixo\r\nBcc: probe@attacker.example"


def test_the_api_refuses_a_subject_with_a_line_break_naming_the_field(world, client):
    client.force_login(world.agent)
    response = client.post(
        "/api/cases",
        {"subject": INJECTED, "body": "!", "requester": "ana@cliente-b.pt"},
        content_type="application/json",
    )
    assert response.status_code == 422
    answer = response.json()
    assert answer["field"] == "subject" and "one line" in answer["detail"]
    assert not Case.objects.exists()


def test_the_api_refuses_control_characters_in_an_agents_address(world, client):
    case = services.open_case(subject="VPN", body="!", channel="web", contact=world.admin)
    client.force_login(world.agent)
    response = client.patch(
        f"/api/cases/{case.pk}",
        {"assignee": "joao@webplug.example\r\nX: y"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "assignee"


def test_a_mailed_subject_with_an_encoded_line_break_is_folded_and_replies_go_out(
    world, mailboxes, smtp_sink
):
    raw = build(subject="=?utf-8?q?Servidor_em_baixo=0D=0ABcc:_probe@attacker.example?=")
    case = Case.objects.get(pk=receive(raw).case)
    assert case.subject.startswith("Servidor em baixo") and not set("\r\n") & set(case.subject)
    services.post_reply(case, author=world.agent, body="Estamos a ver.")
    sending.send_pending()
    assert not OutboundMessage.objects.exclude(status=OutboxStatus.SENT).exists()
    recipients = {to for _sender, tos, _data in smtp_sink.received for to in tos}
    assert recipients == {"ana@cliente-b.pt"}


def test_a_subject_typed_in_the_portal_is_folded_onto_one_line(world, client):
    client.force_login(world.member.user)
    client.post(reverse("new_case"), {"subject": INJECTED, "description": "!", "priority": "P3"})
    assert Case.objects.get().subject == "Servidor em baixo Bcc: probe@attacker.example"


def test_a_reply_that_failed_shows_on_the_case_and_in_the_queue(
    world, mailboxes, smtp_sink, client
):
    smtp_sink.refuse.add("ana@cliente-b.pt")
    failed = Case.objects.get(pk=receive(build()).case)
    fine = Case.objects.get(pk=receive(build(sender="bruno@cliente-b.pt")).case)
    sending.send_pending()
    assert OutboundMessage.objects.get(case=failed).status == OutboxStatus.FAILED
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[failed.pk])).content.decode()
    assert 'role="alert"' in page and "Mail to the customer could not be sent" in page
    assert "550" in page
    other = client.get(reverse("case_detail", args=[fine.pk])).content.decode()
    assert "Mail to the customer could not be sent" not in other
    queue = client.get(reverse("queue")).content.decode()
    row = queue.split(f'data-case="{failed.pk}"')[1].split("</tr>")[0]
    assert "mail not sent" in row
    fine_row = queue.split(f'data-case="{fine.pk}"')[1].split("</tr>")[0]
    assert "mail not sent" not in fine_row
