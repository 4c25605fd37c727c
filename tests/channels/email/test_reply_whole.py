"""A reply reaches the customer whole, as a real SMTP server (aiosmtpd) receives it: its files
attached under their own names (or, above the size limit, a signed link that downloads only
that file and only until it expires), the case's portal link, and headers that thread it."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from supportdesk.channels.email import sending
from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.outgoing import file_token
from supportdesk.tickets import attachments, services
from supportdesk.tickets.models import Attachment, Case
from tests.channels.email.conftest import build

pytestmark = pytest.mark.django_db

PORTUGUESE_NAME = "relatório de instalação – ç.txt"
POLISH_NAME = "zdjęcie łąki.png"


def _mails(sink) -> list:
    return [message_from_bytes(data, policy=policy.default) for _s, _r, data in sink.received]


def _reply(case: Case, agent, body: str, *files: tuple[str, bytes, str]):
    uploads = [SimpleUploadedFile(name, data, content_type=ctype) for name, data, ctype in files]
    return attachments.post_reply(case, author=agent, body=body, files=uploads)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_reply_carries_its_files_under_their_names_the_portal_link_and_thread_headers(
    world, mailboxes, smtp_sink, media, settings
):
    case = Case.objects.get(pk=receive(build(message_id="<q1@client.example>")).case)
    receive(build(subject=f"Re: [{case.label}] mais", message_id="<q2@client.example>"))
    sending.send_pending()
    _reply(
        case,
        world.agent,
        "Segue o relatório e a fotografia.",
        (PORTUGUESE_NAME, "Instalação concluída.".encode(), "text/plain"),
        (POLISH_NAME, b"\x89PNG\r\n\x1a\n-image-", "image/png"),
    )
    assert sending.send_pending() == 1
    reply = _mails(smtp_sink)[-1]
    files = {part.get_filename(): part.get_content() for part in reply.iter_attachments()}
    assert files == {
        PORTUGUESE_NAME: "Instalação concluída.",
        POLISH_NAME: b"\x89PNG\r\n\x1a\n-image-",
    }
    assert reply.get_content_type() == "multipart/mixed"
    body = reply.get_body(("plain",)).get_content()
    assert body.splitlines()[0] == "Segue o relatório e a fotografia."
    assert f"{settings.SITE_URL}/cases/{case.pk}/" in body
    assert reply["Subject"] == f"[{case.label}] {case.subject}"
    assert reply["In-Reply-To"] == "<q2@client.example>"
    assert reply["References"].split()[0] == "<q1@client.example>"
    assert re.fullmatch(r"<sd-\d+-[0-9a-f]{12}-[0-9a-f]{16}@[^>]+>", reply["Message-ID"])


def test_a_portal_case_threads_the_replies_to_each_other(world, mailboxes, smtp_sink, settings):
    settings.SITE_URL = "https://help.webplug.example"
    case = services.open_case(subject="Impressora", body="!", channel="web", contact=world.member)
    services.post_reply(case, author=world.agent, body="Primeira resposta.")
    services.post_reply(case, author=world.agent, body="Segunda resposta.")
    assert sending.send_pending() == 2
    first, second = _mails(smtp_sink)
    assert first["In-Reply-To"] is None
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert f"https://help.webplug.example/cases/{case.pk}/" in second.get_content()


def test_the_footer_is_in_the_customers_language(world, mailboxes, smtp_sink):
    world.member.language = "pl"
    world.member.save()
    case = services.open_case(subject="Drukarka", body="!", channel="web", contact=world.member)
    services.post_reply(case, author=world.agent, body="Dzień dobry.")
    sending.send_pending()
    body = _mails(smtp_sink)[-1].get_content()
    assert f"Zgłoszenie {case.label}: Drukarka" in body
    assert "Całe zgłoszenie zobaczą Państwo w portalu" in body


def test_a_stranger_gets_no_portal_link(world, mailboxes, smtp_sink, settings):
    case = Case.objects.get(pk=receive(build(sender="olga@outra-coisa.pt")).case)
    services.post_reply(case, author=world.agent, body="Olá.")
    sending.send_pending()
    body = _mails(smtp_sink)[-1].get_content()
    assert settings.SITE_URL not in body and case.label in body


def test_above_the_limit_a_signed_link_that_works_only_unexpired_and_only_for_its_file(
    world, mailboxes, smtp_sink, media, settings, client
):
    settings.MAIL_REPLY_ATTACHMENT_BYTES = 100
    case = services.open_case(subject="Registos", body="!", channel="web", contact=world.admin)
    big = "x" * 150
    _reply(
        case,
        world.agent,
        "Os registos.",
        ("small.log", b"small", "text/plain"),
        (PORTUGUESE_NAME, big.encode(), "text/plain"),
    )
    sent_at = timezone.now()
    sending.send_pending()
    reply = _mails(smtp_sink)[-1]
    assert [part.get_filename() for part in reply.iter_attachments()] == ["small.log"]
    body = reply.get_body(("plain",)).get_content()
    links = re.findall(rf"{re.escape(settings.SITE_URL)}(/mail/files/\S+)", body)
    assert len(links) == 1 and PORTUGUESE_NAME in body
    response = client.get(links[0])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == big.encode()
    assert "filename*=utf-8''relat%C3%B3rio" in response["Content-Disposition"]

    small = Attachment.objects.get(name="small.log")
    linked = Attachment.objects.get(name=PORTUGUESE_NAME)
    token = links[0].removeprefix("/mail/files/")
    # The signature covers the file: the same token pointing at another file is refused.
    forged = file_token(small).split(":", 1)[0] + ":" + token.split(":", 1)[1]
    assert client.get(reverse("email_reply_file", args=[forged])).status_code == 404
    assert client.get(reverse("email_reply_file", args=[token[:-2] + "xx"])).status_code == 404
    assert linked.message.case == case

    days = settings.MAIL_FILE_LINK_DAYS
    with time_machine.travel(sent_at + timedelta(days=days) - timedelta(minutes=1)):
        assert client.get(links[0]).status_code == 200
    with time_machine.travel(sent_at + timedelta(days=days, minutes=1)):
        expired = client.get(links[0])
        assert expired.status_code == 410 and b"expired" in expired.content


def test_the_acknowledgement_names_the_case_its_promise_and_the_portal(
    world, mailboxes, smtp_sink, settings
):
    world.admin.language = "pt"
    world.admin.save()
    case = Case.objects.get(pk=receive(build()).case)
    sending.send_pending()
    ack = _mails(smtp_sink)[-1]
    body = ack.get_content()
    assert case.label.startswith("CASE-") and case.label in ack["Subject"] and case.label in body
    assert "responderemos até" in body
    assert f"{settings.SITE_URL}/cases/{case.pk}/" in body
