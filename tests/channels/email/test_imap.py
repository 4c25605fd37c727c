"""The IMAP poller against a real Dovecot started by the tests (skipped where it is missing)."""

import pytest
from django.db import OperationalError
from imap_tools import AND, MailBoxUnencrypted

from supportdesk.channels.email import imap, intake
from supportdesk.channels.email.models import InboundEmail, Mailbox
from supportdesk.tickets.models import Case
from tests.channels.email.conftest import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(dovecot):
    """An empty INBOX (and a Processed folder) for each test."""
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(dovecot.user, dovecot.password) as mb:
        if not mb.folder.exists("Processed"):
            mb.folder.create("Processed")
        for folder in ("INBOX", "Processed"):
            mb.folder.set(folder)
            uids = mb.uids()
            if uids:
                mb.delete(uids)
    return dovecot


@pytest.fixture
def polled(server, mailboxes, monkeypatch) -> Mailbox:
    monkeypatch.setenv("SUPPORTDESK_TEST_IMAP_PASSWORD", server.password)
    mailbox = mailboxes[0]
    mailbox.imap_enabled = True
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_ssl = "127.0.0.1", server.port, False
    mailbox.imap_user = server.user
    mailbox.imap_password_env = "SUPPORTDESK_TEST_IMAP_PASSWORD"
    mailbox.save()
    return mailbox


def _deliver(server, *messages: bytes) -> None:
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password) as mb:
        for raw in messages:
            mb.append(raw, "INBOX")


def _unseen(server, folder: str = "INBOX") -> int:
    with MailBoxUnencrypted("127.0.0.1", server.port).login(
        server.user, server.password, folder
    ) as mb:
        return len(mb.uids(AND(seen=False)))


def test_poller_stores_unseen_mail_then_marks_it_seen(world, polled, server):
    first = build(subject="Impressora avariada")
    _deliver(server, first, build(sender="olga@outra.pt", subject="Fatura"))
    assert imap.poll_due() == 2
    assert Case.objects.count() == 2 and _unseen(server) == 0
    email = InboundEmail.objects.get(subject="Impressora avariada")
    assert bytes(email.raw) == first and email.source == "imap" and email.mailbox == polled
    assert Case.objects.get(subject="Impressora avariada").contact == world.admin
    polled.refresh_from_db()
    assert polled.last_polled_at is not None and polled.last_poll_error == ""
    Mailbox.objects.filter(pk=polled.pk).update(last_polled_at=None)
    assert imap.poll_due() == 0  # nothing new


def test_poller_moves_processed_mail_when_configured(world, polled, server):
    polled.imap_move_to = "Processed"
    polled.save()
    _deliver(server, build())
    assert imap.poll_due() == 1
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password) as mb:
        assert mb.uids() == []
        mb.folder.set("Processed")
        assert len(mb.uids()) == 1


def test_mail_stays_unseen_when_the_database_fails(world, polled, server, monkeypatch):
    _deliver(server, build())

    def down(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(imap, "receive", down)
    with pytest.raises(OperationalError):
        imap.poll_due()
    assert _unseen(server) == 1 and not InboundEmail.objects.exists()
    monkeypatch.setattr(imap, "receive", intake.receive)
    Mailbox.objects.filter(pk=polled.pk).update(last_polled_at=None)
    assert imap.poll_due() == 1 and _unseen(server) == 0


def test_wrong_password_is_recorded_on_the_mailbox(world, polled, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_TEST_IMAP_PASSWORD", "wrong")
    assert imap.poll_due() == 0
    polled.refresh_from_db()
    assert polled.last_poll_error
