"""Outbound mail through a real SMTP server (aiosmtpd, started here): acknowledgements in the
contact's language, threading headers, and failures that stay visible on the case."""

from datetime import timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.channels.email import sending
from supportdesk.channels.email.intake import receive
from supportdesk.tickets import services
from supportdesk.tickets.choices import OutboxStatus
from supportdesk.tickets.models import Case, OutboundMessage
from tests.channels.email.conftest import SUPPORT, _free_port, build

pytestmark = pytest.mark.django_db


def _sent(sink, index: int = -1):
    _sender, recipients, data = sink.received[index]
    return recipients, message_from_bytes(data, policy=policy.default)


def _speaker(contact, language: str, tz: str) -> None:
    contact.language = language
    contact.save()
    contact.user.timezone = tz
    contact.user.save()


@pytest.mark.parametrize(
    "language,tz,greeting,promise",
    [
        ("pl", "Europe/Warsaw", "otrzymaliśmy Państwa wiadomość", "odpowiemy do"),
        ("pt", "Europe/Lisbon", "recebemos a sua mensagem", "responderemos até"),
        ("", "UTC", "we have received your message", "we will answer by"),
    ],
)
def test_acknowledgement_in_the_contacts_language_with_the_promised_time(
    world, mailboxes, smtp_sink, language, tz, greeting, promise
):
    _speaker(world.member, language, tz)
    raw = build(sender="bruno@cliente-b.pt", message_id="<q1@client.example>")
    case = Case.objects.get(pk=receive(raw).case)
    assert sending.send_pending() == 1
    recipients, sent = _sent(smtp_sink)
    body = sent.get_content()
    assert recipients == ["bruno@cliente-b.pt"]
    assert sent["Subject"].startswith(f"[{case.label}] ")
    assert greeting in body and promise in body and case.label in body
    due = case.clocks.get(metric="first_response").due_at
    zone = ZoneInfo(tz) if tz != "UTC" else ZoneInfo(world.calendar.timezone)
    assert due.astimezone(zone).strftime("%H:%M") in body and zone.key in body
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["In-Reply-To"] == "<q1@client.example>"
    assert sent["Message-ID"].endswith("@supportdesk.example>")
    assert sent["From"] == "WebPlug Support <support@webplug.example>"


def test_the_customers_reply_to_the_acknowledgement_joins_the_case(world, mailboxes, smtp_sink):
    case_id = receive(build(message_id="<q1@client.example>")).case
    sending.send_pending()
    _, ack = _sent(smtp_sink)
    reply = build(
        subject="Re: " + ack["Subject"].split("] ", 1)[1],  # a client that drops the tag
        headers={
            "In-Reply-To": ack["Message-ID"],
            "References": f"<q1@client.example> {ack['Message-ID']}",
        },
    )
    outcome = receive(reply)
    assert (outcome.status, outcome.case) == ("joined", case_id)


def test_agent_reply_threads_under_the_customers_mail(world, mailboxes, smtp_sink):
    case = Case.objects.get(pk=receive(build(message_id="<q1@client.example>")).case)
    receive(build(subject=f"Re: [{case.label}] mais", message_id="<q2@client.example>"))
    sending.send_pending()
    services.post_reply(case, author=world.agent, body="Reiniciámos o servidor.")
    assert sending.send_pending() == 1
    _, reply = _sent(smtp_sink)
    assert reply["In-Reply-To"] == "<q2@client.example>"
    references = reply["References"].split()
    assert references[0] == "<q1@client.example>" and "<q2@client.example>" in references
    assert reply["Auto-Submitted"] is None  # a person wrote it
    assert reply["From"] == "WebPlug Support <support@webplug.example>"
    assert reply.get_content().splitlines()[0] == "Reiniciámos o servidor."


def test_unreachable_server_is_retried_with_backoff_then_fails_visibly(world, mailboxes, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    case = Case.objects.get(pk=receive(build()).case)
    now = timezone.now()
    assert sending.send_pending(now) == 0
    item = OutboundMessage.objects.get(case=case)
    assert item.status == OutboxStatus.PENDING and item.attempts == 1
    assert "Connection refused" in item.last_error and item.next_attempt_at > now
    for _attempt in range(sending.MAX_ATTEMPTS):
        now += timedelta(hours=7)
        sending.send_pending(now)
    item.refresh_from_db()
    assert item.status == OutboxStatus.FAILED and item.attempts == sending.MAX_ATTEMPTS


def test_permanent_refusal_fails_at_once_and_shows_on_the_case_page(
    world, mailboxes, smtp_sink, client
):
    smtp_sink.refuse.add("ana@cliente-b.pt")
    case = Case.objects.get(pk=receive(build()).case)
    sending.send_pending()
    item = OutboundMessage.objects.get(case=case)
    assert item.status == OutboxStatus.FAILED and item.attempts == 1 and "550" in item.last_error
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "550" in page and "ana@cliente-b.pt" in page


def test_mail_sent_to_the_sink_is_crlf_and_our_own_mail_coming_back_is_held(
    world, mailboxes, smtp_sink
):
    receive(build())
    sending.send_pending()
    _, _, data = smtp_sink.received[0]
    outcome = receive(data.replace(b"\n", b"\r\n") if b"\r\n" not in data else data)
    assert (outcome.status, outcome.case) == ("held", None)
    assert SUPPORT in data.decode(errors="replace")
