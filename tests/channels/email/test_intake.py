"""Inbound mail: every message is stored, then opens a case, joins one, is held or is reviewed."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from supportdesk.channels.email import intake
from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.models import (
    BouncedAddress,
    EmailAttachment,
    HoldReason,
    InboundEmail,
    Mailbox,
)
from supportdesk.plans.models import Contract
from supportdesk.tickets import outbox, services
from supportdesk.tickets.choices import MessageKind, OutboxStatus, Status
from supportdesk.tickets.models import Case, OutboundMessage
from tests.channels.email.conftest import PRIORITY, SUPPORT, build

pytestmark = pytest.mark.django_db


def test_registered_sender_opens_a_covered_case_and_is_acknowledged(world, mailboxes):
    raw = build(message_id="<first@client.example>")
    outcome = receive(raw)
    case = Case.objects.get(pk=outcome.case)
    assert outcome.status == "new" and outcome.message == InboundEmail.objects.get().pk
    assert case.contact == world.admin and case.covered and case.channel == "email"
    assert case.received_via == SUPPORT
    assert case.messages.get().body == "O nosso servidor não responde desde as 9h."
    ack = OutboundMessage.objects.get(case=case)
    assert ack.to == "ana@cliente-b.pt" and f"[{case.label}]" in ack.subject
    assert ack.headers["Auto-Submitted"] == "auto-generated"
    assert ack.headers["In-Reply-To"] == "<first@client.example>"
    assert outbox.case_id_from_message_id(ack.headers["Message-ID"]) == case.pk
    assert ack.headers["From"] == "WebPlug Support <support@webplug.example>"


def test_stored_raw_is_byte_identical_and_content_addressed(world, mailboxes):
    raw = build()
    receive(raw)
    email = InboundEmail.objects.get()
    import hashlib

    assert bytes(email.raw) == raw and email.sha256 == hashlib.sha256(raw).hexdigest()


def test_same_delivery_twice_is_stored_once_and_answered_alike(world, mailboxes):
    raw = build()
    first, second = receive(raw), receive(raw)
    assert first == second
    assert InboundEmail.objects.count() == 1 and Case.objects.count() == 1


def test_copy_with_other_bytes_joins_without_repeating_the_message(world, mailboxes):
    first = receive(build(message_id="<same@client.example>"), recipient=SUPPORT)
    copy = receive(build(message_id="<same@client.example>", to=PRIORITY), recipient=PRIORITY)
    assert copy.status == "joined" and copy.case == first.case
    assert Case.objects.get(pk=first.case).messages.count() == 1


def test_reply_to_our_acknowledgement_joins_the_case(world, mailboxes):
    case = Case.objects.get(pk=receive(build()).case)
    ack_id = OutboundMessage.objects.get(case=case).headers["Message-ID"]
    reply = build(subject="Re: whatever", headers={"In-Reply-To": ack_id, "References": ack_id})
    outcome = receive(reply)
    assert (outcome.status, outcome.case) == ("joined", case.pk)
    assert case.messages.count() == 2
    assert OutboundMessage.objects.filter(case=case).count() == 1  # no second acknowledgement


def test_reply_quoting_a_stored_customer_message_joins(world, mailboxes):
    case_id = receive(build(message_id="<orig@client.example>")).case
    colleague = build(
        sender="bruno@cliente-b.pt",
        subject="Re: Servidor em baixo",
        headers={"References": "<orig@client.example>"},
    )
    assert receive(colleague).case == case_id


def test_forged_reference_to_our_domain_does_not_thread(world, mailboxes):
    case_id = receive(build()).case
    forged = f"<sd-{case_id}-0123456789ab-0123456789abcdef@supportdesk.example>"
    outcome = receive(build(subject="Olá", headers={"In-Reply-To": forged}))
    assert outcome.status == "new" and outcome.case != case_id


@pytest.mark.parametrize("tag", ["[#{pk}]", "[{reference}]"])
def test_case_tag_in_subject_threads(world, mailboxes, tag):
    case = services.open_case(
        subject="Impressora", body="x", channel="web", contact=world.admin, reference="WP-7"
    )
    subject = "Re: " + tag.format(pk=case.pk, reference="WP-7") + " Impressora"
    assert receive(build(subject=subject)).case == case.pk


def test_case_tag_from_a_stranger_opens_a_new_case(world, mailboxes):
    """Another system's "[#12]" or a guessed number must not add to (or reopen) our case."""
    case = Case.objects.get(pk=receive(build()).case)
    stranger = receive(build(sender="olga@outra.pt", subject=f"Re: [{case.label}] olá"))
    assert stranger.status == "new" and stranger.case != case.pk
    colleague = receive(build(sender="bruno@cliente-b.pt", subject=f"Re: [{case.label}] olá"))
    assert colleague.case == case.pk  # same organization


def test_customer_reply_reopens_a_resolved_case(world, mailboxes):
    case = Case.objects.get(pk=receive(build()).case)
    services.change_status(case, Status.RESOLVED, actor=world.agent)
    receive(build(subject=f"Re: [{case.label}] ainda não funciona"))
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_reply_to_a_closed_case_opens_a_new_one(world, mailboxes):
    case = Case.objects.get(pk=receive(build()).case)
    services.change_status(case, Status.CLOSED, actor=world.agent)
    outcome = receive(build(subject=f"Re: [{case.label}] outra vez"))
    assert outcome.status == "new" and outcome.case != case.pk


@pytest.mark.parametrize(
    "headers,subject",
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Servidor"),
        ({"X-Autoreply": "yes"}, "Re: Servidor"),
        ({"X-Autorespond": "on"}, "Re: Servidor"),
        ({"Precedence": "bulk"}, "Newsletter"),
        ({"Precedence": "auto_reply"}, "Re: Servidor"),
        ({}, "Out of Office: Re: Servidor"),
        ({}, "Automatic reply: server"),
        ({}, "Automatyczna odpowiedź: serwer"),
        ({}, "Autoodpowiedź: Poza biurem"),
        ({}, "Resposta automática: Servidor"),
        ({}, "Ausente do escritório"),
    ],
)
def test_auto_replies_are_held_without_case_or_acknowledgement(world, mailboxes, headers, subject):
    outcome = receive(build(subject=subject, headers=headers))
    assert (outcome.status, outcome.case) == ("held", None)
    assert InboundEmail.objects.get().hold_reason == HoldReason.AUTO_REPLY
    assert not Case.objects.exists() and not OutboundMessage.objects.exists()


def test_auto_submitted_no_is_a_person(world, mailboxes):
    assert receive(build(headers={"Auto-Submitted": "no"})).status == "new"


def test_mail_from_our_own_address_is_held_as_a_loop(world, mailboxes):
    outcome = receive(build(sender=SUPPORT, subject="[#1] Received: x"))
    assert outcome.status == "held"
    assert InboundEmail.objects.get().hold_reason == HoldReason.LOOP


def test_a_sender_over_the_rate_limit_is_held(world, mailboxes, settings):
    """A loop with an auto-responder that sends no auto-reply headers: the 21st in 10 minutes
    is held, and the sender's mail is accepted again once the window has passed."""
    now = timezone.now()
    statuses = [
        receive(build(subject=f"Ticket {i}"), now=now + timedelta(seconds=i)).status
        for i in range(21)
    ]
    assert statuses.count("held") == 1 and statuses[-1] == "held"
    assert InboundEmail.objects.filter(hold_reason=HoldReason.RATE_LIMIT).count() == 1
    later = receive(build(subject="Later"), now=now + timedelta(minutes=11))
    assert later.status == "new"


def _dsn(original_id: str, recipient: str = "ana@cliente-b.pt", action: str = "failed") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.cliente-b.pt>\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Message-ID: <dsn-1@mx.cliente-b.pt>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.cliente-b.pt\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\nTo: {recipient}\r\nMessage-ID: {original_id}\r\n"
        "Subject: [#1] Received\r\n--B--\r\n"
    ).encode()


def test_bounce_attaches_to_its_case_fails_the_mail_and_flags_the_address(world, mailboxes):
    case = Case.objects.get(pk=receive(build()).case)
    ack = OutboundMessage.objects.get(case=case)
    outcome = receive(_dsn(ack.headers["Message-ID"]))
    assert (outcome.status, outcome.case) == ("joined", case.pk)
    ack.refresh_from_db()
    assert ack.status == OutboxStatus.FAILED and "5.1.1" in ack.last_error
    flag = BouncedAddress.objects.get(address="ana@cliente-b.pt")
    assert flag.permanent and flag.last_outbound == ack
    note = case.messages.order_by("id").last()
    assert note.kind == MessageKind.AUTOMATIC and "User unknown" in note.body
    case.refresh_from_db()
    assert case.status == Status.NEW  # a bounce is no customer answer
    # no more acknowledgements to an address that bounces
    receive(build(subject="Outro problema"))
    assert OutboundMessage.objects.count() == 1


def test_bounce_of_mail_we_never_sent_is_held(world, mailboxes):
    outcome = receive(_dsn("<someone-else@elsewhere.example>"))
    assert (outcome.status, outcome.case) == ("held", None)
    assert InboundEmail.objects.get().hold_reason == HoldReason.BOUNCE


def test_parse_failure_becomes_a_case_for_review_with_the_raw_kept(world, mailboxes, monkeypatch):
    def broken(raw):
        raise ValueError("parser bug")

    monkeypatch.setattr(intake, "parse", broken)
    outcome = receive(build())
    case = Case.objects.get(pk=outcome.case)
    email = InboundEmail.objects.get()
    assert outcome.status == "review" and case.needs_review and not case.covered
    assert email.case == case and email.raw
    assert "parser bug" in email.error and "parser bug" in case.messages.get().body


def test_delivery_bug_becomes_a_case_for_review(world, mailboxes, monkeypatch):
    monkeypatch.setattr(intake, "find_case", lambda parsed: 1 / 0)
    outcome = receive(build())
    assert outcome.status == "review"
    assert Case.objects.get(pk=outcome.case).needs_review


def test_database_trouble_after_storing_is_retried_by_the_next_delivery(
    world, mailboxes, monkeypatch
):
    raw = build()

    def down(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(intake, "_deliver", down)
    with pytest.raises(OperationalError):
        receive(raw)
    assert InboundEmail.objects.get().status == "received"  # stored, not lost
    monkeypatch.undo()
    outcome = receive(raw)  # the MTA's retry
    assert outcome.status == "new" and InboundEmail.objects.count() == 1


def test_message_with_no_from_still_lands_uncovered_and_unacknowledged(world, mailboxes):
    outcome = receive(build(sender=None, headers={"Reply-To": "ana@cliente-b.pt"}))
    case = Case.objects.get(pk=outcome.case)
    assert outcome.status == "new" and not case.covered and case.contact is None
    assert case.requester_address == "ana@cliente-b.pt"
    assert not OutboundMessage.objects.exists()


def test_from_with_encoded_words_in_the_local_part_is_not_the_contact(world, mailboxes):
    raw = build().replace(b"From: ana@cliente-b.pt", b"From: =?utf-8?Q?ana?=@cliente-b.pt")
    case = Case.objects.get(pk=receive(raw).case)
    assert case.contact is None and not case.covered
    assert not InboundEmail.objects.get().from_trusted


class TestAuthenticationResults:
    @pytest.fixture
    def strict(self, mailboxes):
        default = mailboxes[0]
        default.trust_authentication_results = True
        default.authserv_id = "mx.webplug.example"
        default.save()
        return default

    def _case(self, results: list[str]) -> Case:
        head = "".join(f"Authentication-Results: {r}\r\n" for r in results).encode()
        return Case.objects.get(pk=receive(head + build()).case)

    def test_without_a_verdict_from_is_not_trusted(self, world, strict):
        assert not self._case([]).covered

    def test_dmarc_pass_is_trusted(self, world, strict):
        case = self._case(
            ["mx.webplug.example; spf=pass; dkim=fail; dmarc=pass header.from=cliente-b.pt"]
        )
        assert case.covered and case.contact == world.admin

    def test_aligned_dkim_is_trusted(self, world, strict):
        assert self._case(["mx.webplug.example; dkim=pass header.d=cliente-b.pt"]).covered

    def test_dkim_of_another_domain_is_not(self, world, strict):
        assert not self._case(["mx.webplug.example; dkim=pass header.d=evil.example"]).covered

    def test_a_verdict_written_by_someone_else_is_ignored(self, world, strict):
        assert not self._case(["mx.evil.example; dmarc=pass"]).covered


class TestDesignatedAddress:
    @pytest.fixture
    def designated(self, world, mailboxes):
        world.plan.designated_only = True
        world.plan.save()
        Contract.objects.filter(organization=world.org).update(designated_email=PRIORITY)

    def test_mail_to_the_designated_address_is_covered(self, world, designated):
        case = Case.objects.get(pk=receive(build(to=PRIORITY), recipient=PRIORITY).case)
        assert case.covered and case.received_via == PRIORITY

    def test_delivered_to_header_decides_without_an_envelope(self, world, designated):
        raw = f"Delivered-To: {PRIORITY}\r\n".encode() + build(to="ana-team@cliente-b.pt")
        assert Case.objects.get(pk=receive(raw).case).covered

    def test_mail_to_the_general_address_is_not(self, world, designated):
        case = Case.objects.get(pk=receive(build(to=SUPPORT)).case)
        assert not case.covered and case.coverage_code == "not_designated"


def test_unknown_recipient_goes_to_the_default_mailbox(world, mailboxes):
    outcome = receive(build(to="sales@webplug.example"), recipient="sales@webplug.example")
    email = InboundEmail.objects.get(pk=outcome.message)
    assert outcome.status == "new" and email.mailbox == Mailbox.objects.get(is_default=True)
    assert email.recipient == "sales@webplug.example"


def test_30_mb_attachment_is_replaced_by_a_note_and_the_message_lands(world, mailboxes):
    big = bytes(range(256)) * (30 * 1024 * 1024 // 256)
    raw = build(
        attachments=[
            ("dump.bin", "application/octet-stream", big),
            ("log.txt", "text/plain", b"ok"),
        ]
    )
    started = time.monotonic()
    outcome = receive(raw)
    elapsed = time.monotonic() - started
    assert outcome.status == "new"
    dump = EmailAttachment.objects.get(filename="dump.bin")
    assert dump.omitted and dump.size == len(big)
    assert EmailAttachment.objects.get(filename="log.txt").attachment.file.read() == b"ok"
    body = Case.objects.get(pk=outcome.case).messages.get().body
    assert "dump.bin (30.0 MB) was not stored" in body
    assert InboundEmail.objects.get().size == len(raw)  # the original keeps it all
    assert elapsed < 20


def test_attachment_limit_is_configurable(world, mailboxes, settings):
    settings.MAIL_MAX_ATTACHMENT_BYTES = 10
    receive(build(attachments=[("a.txt", "text/plain", b"x" * 11)]))
    assert EmailAttachment.objects.get().omitted


def test_an_administrator_can_release_held_mail_into_a_case(world, mailboxes):
    from supportdesk.channels.email.intake import release

    receive(build(headers={"Auto-Submitted": "auto-generated", "Precedence": "bulk"}))
    email = InboundEmail.objects.get()
    outcome = release(email)
    assert outcome.status == "new" and Case.objects.get(pk=outcome.case).contact == world.admin
    assert not OutboundMessage.objects.exists()  # automatic mail is never answered automatically
