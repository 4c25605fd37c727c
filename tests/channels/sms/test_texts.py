"""Texts as a carrier posts them (signed form posts to the real view), agents' replies sent back
through a carrier's REST API running on a loopback port, and "text me this link".

Ana (Cliente B) texts from her registered mobile +351 912 345 678 to the desk's SMS number
+351 930 000 100; a Polish visitor's mobile is +48 501 234 567. Monday 9 March 2026 10:00 UTC.
"""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from supportdesk.channels.email import sending as mail_sending
from supportdesk.channels.sms import sending, services
from supportdesk.channels.sms.models import InboundText
from supportdesk.channels.voice import carrier
from supportdesk.knowledge import services as knowledge
from supportdesk.tickets import outbox
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import Channel, OutboxStatus
from supportdesk.tickets.models import Case, OutboundMessage

pytestmark = pytest.mark.django_db

DESK = "+351930000100"
ANA = "+351912345678"
VISITOR = "+48501234567"
LANDLINE = "+351210000100"
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
INCOMING = "/channels/sms/incoming"


class Phone:
    """Posts what a TwiML carrier posts when a text arrives, signed with the account's token."""

    def __init__(self, client, sender: str = ANA, to: str = DESK):
        self.client, self.sender, self.to = client, sender, to

    def post(self, sid: str, body: str = "", signature: str | None = None, **fields: str):
        form = {
            "MessageSid": sid,
            "AccountSid": "AC1",
            "From": self.sender,
            "To": self.to,
            "Body": body,
            "NumMedia": "0",
        }
        form.update(fields)
        signed = carrier.sign("http://testserver" + INCOMING, form)
        return self.client.post(
            INCOMING, form, HTTP_X_TWILIO_SIGNATURE=signed if signature is None else signature
        )

    def text(self, sid: str, body: str = "", **fields: str) -> Case:
        response = self.post(sid, body, **fields)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        answer = ElementTree.fromstring(response.content)
        assert answer.tag == "Response" and len(answer) == 0  # nothing said back
        return InboundText.objects.get(sid=sid).case


def test_unsigned_or_forged_text_is_refused_and_nothing_written(world, client):
    phone = Phone(client)
    assert phone.post("SM1", "Olá", signature="").status_code == 403
    assert phone.post("SM1", "Olá", signature="bm90IGl0").status_code == 403
    assert not InboundText.objects.exists() and not Case.objects.exists()


def test_a_text_becomes_an_sms_case_without_a_guarantee_and_a_retry_changes_nothing(world, client):
    phone = Phone(client)
    with time_machine.travel(MONDAY_10, tick=False):
        case = phone.text("SM1", "O servidor não responde.\nDesde as 9h.")
        assert phone.text("SM1", "O servidor não responde.\nDesde as 9h.") == case  # retried
    assert (case.channel, case.contact, case.organization) == ("sms", world.admin, world.org)
    assert (case.requester_address, case.received_via) == (ANA, DESK)
    assert case.subject == "O servidor não responde."
    assert not case.covered and not case.clocks.filter(guaranteed=True).exists()
    assert Case.objects.count() == 1 and InboundText.objects.count() == 1
    assert [m.body for m in case.messages.all()] == ["O servidor não responde.\nDesde as 9h."]
    assert InboundText.objects.get().done_at is not None


def test_whatsapp_sender_gets_a_whatsapp_case_with_its_pictures_as_links(world, client):
    phone = Phone(client, sender="whatsapp:" + VISITOR, to="whatsapp:" + DESK)
    photo = "https://api.carrier.example/Media/ME1"
    case = phone.text("SM2", "Veja a foto", NumMedia="1", MediaUrl0=photo)
    assert (case.channel, case.requester_address, case.received_via) == (
        "whatsapp",
        VISITOR,
        DESK,
    )
    assert case.contact is None
    assert case.messages.get().body == f"Veja a foto\n\n{photo}"


def test_texts_within_a_day_join_the_open_case_and_a_later_one_opens_another(world, client):
    phone = Phone(client)
    with time_machine.travel(MONDAY_10, tick=False):
        first = phone.text("SM1", "O servidor caiu.")
    with time_machine.travel(MONDAY_10 + timedelta(hours=23), tick=False):
        assert phone.text("SM2", "Ainda em baixo.") == first
    # Another channel from the same number is another conversation.
    whatsapp = Phone(client, sender="whatsapp:" + ANA, to="whatsapp:" + DESK)
    with time_machine.travel(MONDAY_10 + timedelta(hours=23, minutes=5), tick=False):
        assert whatsapp.text("SM3", "Por aqui também.") != first
    with time_machine.travel(MONDAY_10 + timedelta(hours=47, minutes=1), tick=False):
        later = phone.text("SM4", "Voltou a cair.")
    assert later != first and later.channel == "sms"
    assert [m.body for m in first.messages.all()] == ["O servidor caiu.", "Ainda em baixo."]


def test_a_text_to_a_closed_case_opens_a_new_one(world, client):
    phone = Phone(client)
    first = phone.text("SM1", "O servidor caiu.")
    cases.change_status(first, "closed", actor=world.agent)
    assert phone.text("SM2", "Outra coisa.") != first


def test_a_text_the_desk_could_not_write_is_kept_and_finished_by_the_worker(
    world, client, monkeypatch
):
    def locked(**kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services.cases, "open_case", locked)
    assert Phone(client).post("SM1", "Socorro").status_code == 200
    stored = InboundText.objects.get()
    assert stored.case is None and "locked" in stored.error
    monkeypatch.undo()
    assert services.finish_pending() == 1
    stored.refresh_from_db()
    assert stored.case.messages.get().body == "Socorro" and stored.error == ""


def test_an_agents_reply_reaches_the_carrier_as_an_sms_from_the_number_texted(
    world, client, fake_carrier
):
    case = Phone(client).text("SM1", "O servidor caiu.")
    cases.post_reply(case, author=world.agent, body="Estamos a reiniciá-lo.")
    assert mail_sending.send_pending() == 0  # not mail
    assert sending.send_pending() == 1
    assert fake_carrier.messages == [{"To": ANA, "From": DESK, "Body": "Estamos a reiniciá-lo."}]
    item = OutboundMessage.objects.get(case=case)
    assert (item.channel, item.status) == (Channel.SMS, OutboxStatus.SENT)
    assert sending.send_pending() == 0  # sent once


def test_a_whatsapp_reply_goes_back_by_whatsapp(world, client, fake_carrier):
    case = Phone(client, sender="whatsapp:" + VISITOR, to="whatsapp:" + DESK).text("SM1", "Olá")
    cases.post_reply(case, author=world.agent, body="Bom dia!")
    sending.send_pending()
    assert fake_carrier.messages == [
        {"To": "whatsapp:" + VISITOR, "From": "whatsapp:" + DESK, "Body": "Bom dia!"}
    ]


def test_a_refusing_carrier_gets_the_reply_again_then_it_shows_as_failed_on_the_case(
    world, client, fake_carrier
):
    case = Phone(client).text("SM1", "O servidor caiu.")
    cases.post_reply(case, author=world.agent, body="Estamos a reiniciá-lo.")
    fake_carrier.refuse()
    now = timezone.now()
    assert sending.send_pending(now) == 0
    item = OutboundMessage.objects.get(case=case)
    assert (item.status, item.attempts) == (OutboxStatus.PENDING, 1)
    assert "21612" in item.last_error and item.next_attempt_at > now
    assert sending.send_pending(now) == 0  # waits its backoff
    for _attempt in range(outbox.MAX_ATTEMPTS):
        now += timedelta(hours=7)
        sending.send_pending(now)
    item.refresh_from_db()
    assert (item.status, item.attempts) == (OutboxStatus.FAILED, outbox.MAX_ATTEMPTS)
    assert fake_carrier.messages == []
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert ANA in page and "Failed" in page and "21612" in page


def test_an_unreachable_carrier_ends_the_round_without_spending_the_others_attempts(
    world, client, settings
):
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    for sid, sender in (("SM1", ANA), ("SM2", VISITOR)):
        case = Phone(client, sender=sender).text(sid, "Olá")
        cases.post_reply(case, author=world.agent, body="Bom dia!")
    assert sending.send_pending() == 0
    attempts = sorted(OutboundMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 1]


# ------------------------------------------------------------------------- text me this link


@pytest.fixture
def article(db, settings):
    settings.SMS_FROM = DESK
    settings.SITE_URL = "https://help.webplug.example"
    item, _changed = knowledge.save_article(
        "reset-en", lang="en", title="Reset your router", body="Hold **reset**.", status="published"
    )
    return item


def _ask(client, page: str, phone: str, language: str = "en") -> str:
    response = client.post(
        reverse("sms_text_me"),
        {"phone": phone, "page": page},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_article_and_sign_in_pages_offer_the_form_only_with_a_number_to_text_from(
    article, client, settings
):
    page = reverse("kb_article", args=["reset-en"])
    assert 'id="text-me"' in client.get(page).content.decode()
    assert 'id="text-me"' in client.get(reverse("login")).content.decode()
    settings.SMS_FROM = ""
    assert 'id="text-me"' not in client.get(page).content.decode()


def test_text_me_sends_the_link_once_a_minute_and_says_how_long_to_wait(
    article, client, fake_carrier
):
    page = reverse("kb_article", args=["reset-en"])
    with time_machine.travel(MONDAY_10, tick=False):
        shown = _ask(client, page, "+48 501 234 567")
    assert f"We have texted the link to {VISITOR}." in shown
    link = "https://help.webplug.example/kb/article/reset-en/"
    assert fake_carrier.messages == [
        {"To": VISITOR, "From": DESK, "Body": f"Here is the link you asked for: {link}"}
    ]
    with time_machine.travel(MONDAY_10 + timedelta(seconds=18), tick=False):
        assert "Wait 42 s before asking again." in _ask(client, page, VISITOR)
        polish = _ask(client, reverse("login"), VISITOR, language="pl")
        assert "Odczekaj 42 s, zanim poprosisz ponownie." in polish
    with time_machine.travel(MONDAY_10 + timedelta(seconds=59, milliseconds=500), tick=False):
        assert "Aguarde 1 s antes de pedir novamente." in _ask(client, page, VISITOR, "pt")
    assert len(fake_carrier.messages) == 1
    with time_machine.travel(MONDAY_10 + timedelta(seconds=60), tick=False):
        assert "We have texted the link" in _ask(client, reverse("login"), VISITOR)
    assert fake_carrier.messages[1]["Body"].endswith("https://help.webplug.example/login/")


@pytest.mark.parametrize("number", [LANDLINE, "+48 123", "501 234 567", "not a number"])
def test_text_me_sends_nothing_to_a_number_that_is_not_a_valid_mobile(
    article, client, fake_carrier, number
):
    shown = _ask(client, reverse("kb_article", args=["reset-en"]), number, language="pt")
    assert "não é um número de telemóvel" in shown
    assert fake_carrier.messages == []


def test_text_me_says_when_the_carrier_refuses_and_the_visitor_may_try_again_at_once(
    article, client, fake_carrier
):
    page = reverse("kb_article", args=["reset-en"])
    fake_carrier.refuse(code=30007, message="Message filtered")
    with time_machine.travel(MONDAY_10, tick=False):
        assert "The SMS could not be sent, try again." in _ask(client, page, VISITOR)
        assert "Nie udało się wysłać SMS-a" in _ask(client, page, VISITOR, language="pl")
        fake_carrier.accept()
        assert "We have texted the link" in _ask(client, page, VISITOR)
    assert len(fake_carrier.messages) == 1


def test_text_me_only_texts_the_desks_own_pages(article, client, fake_carrier):
    for page in ("https://evil.example/", "//evil.example/", "/desk/kb/", "/nowhere"):
        response = client.post(reverse("sms_text_me"), {"phone": VISITOR, "page": page})
        assert response.status_code == 400, page
    assert fake_carrier.messages == []
