"""Remote help on the pages: the agent asks from the case page, the customer consents from the
link in the mail or from the portal's case page (and nobody else can), the agent starts and
ends the session; the history shows each step in the viewer's language."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from supportdesk.remote.models import ConsentRequest, RemoteSession
from supportdesk.tickets.choices import Channel
from supportdesk.tickets.models import OutboundMessage

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"


def ask(client, world, case) -> str:
    """The agent asks from the case page; the path of the link the customer was mailed."""
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Remote help" in page and "Ask for consent" in page
    response = client.post(reverse("remote:ask", args=[case.pk]), follow=True)
    assert "the customer has 15 minutes" in response.content.decode()
    mail = OutboundMessage.objects.get(case=case, channel=Channel.EMAIL)
    return re.search(r"https?://\S+(/remote/consent/\S+/)", mail.body)[1]


def test_the_customer_consents_from_the_mail_and_the_address_and_browser_are_kept(
    client, world, case
):
    link = ask(client, world, case)
    client.force_login(world.admin.user)
    page = client.get(link).content.decode()
    assert "João Costa would like to connect to your computer" in page
    assert "you type it yourself" in page and "I consent to this remote session" in page
    response = client.post(link, REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302 and response.url == reverse("my_case", args=[case.pk])
    consent = ConsentRequest.objects.get(case=case)
    assert consent.consented_by == world.admin
    assert (consent.ip_address, consent.user_agent) == ("198.51.100.4", BROWSER)
    # A second click changes nothing and says why.
    again = client.post(link, REMOTE_ADDR="203.0.113.9", follow=True).content.decode()
    assert "Consent was already given" in again
    consent.refresh_from_db()
    assert consent.ip_address == "198.51.100.4"


def test_the_portal_case_page_shows_the_request_and_leads_to_the_consent_page(client, world, case):
    ask(client, world, case)
    consent = ConsentRequest.objects.get(case=case)
    client.force_login(world.admin.user)
    page = client.get(reverse("my_case", args=[case.pk])).content.decode()
    assert "asks to connect to your computer" in page
    url = reverse("remote:consent", args=[case.pk, consent.pk])
    assert url in page
    client.post(url, HTTP_USER_AGENT=BROWSER)
    assert ConsentRequest.objects.get(pk=consent.pk).consented_at is not None
    after = client.get(reverse("my_case", args=[case.pk])).content.decode()
    assert "asks to connect to your computer" not in after


@pytest.mark.parametrize("who", ["outsider", "member", "agent"])
def test_nobody_else_reaches_the_consent_page(client, world, case, who):
    """Another organization's administrator, a member who is not the case's contact, and an
    agent get a 404 by either way in, holding the link or not."""
    link = ask(client, world, case)
    consent = ConsentRequest.objects.get(case=case)
    user = world.agent if who == "agent" else getattr(world, who).user
    client.force_login(user)
    for url in (link, reverse("remote:consent", args=[case.pk, consent.pk])):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert ConsentRequest.objects.get(pk=consent.pk).consented_at is None


def test_the_link_asks_to_sign_in_first(client, world, case):
    link = ask(client, world, case)
    client.logout()
    response = client.get(link)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_an_expired_request_says_so_and_cannot_be_given(client, world, case):
    link = ask(client, world, case)
    client.force_login(world.admin.user)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        page = client.get(link).content.decode()
        assert "This request has expired" in page and "I consent" not in page
        refused = client.post(link, follow=True).content.decode()
        assert "15 minutes after it was sent" in refused
    assert ConsentRequest.objects.get(case=case).consented_at is None


def test_the_agent_starts_only_with_the_password_step_and_ends_with_notes(client, world, case):
    link = ask(client, world, case)
    client.force_login(world.admin.user)
    client.post(link, HTTP_USER_AGENT=BROWSER)
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Start session" in page and "Consent given" in page
    form = {"tool": "rustdesk", "session_id": "1 234 567 890"}
    refused = client.post(reverse("remote:start", args=[case.pk]), form, follow=True)
    assert "types their password themselves before you start" in refused.content.decode()
    assert not RemoteSession.objects.exists()
    form["password_typed_by_user"] = "on"
    started = client.post(reverse("remote:start", args=[case.pk]), form, follow=True)
    assert "Session running" in started.content.decode()
    session = RemoteSession.objects.get(case=case)
    assert (session.tool, session.session_id, session.agent) == (
        "rustdesk",
        "1 234 567 890",
        world.agent,
    )
    ended = client.post(reverse("remote:end", args=[session.pk]), {"notes": "New profile."})
    assert ended.status_code == 302
    session.refresh_from_db()
    assert session.ended_at is not None and session.notes == "New profile."
    # The consent is spent: the page offers to ask again.
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Ask for consent" in page and "Used for a session" in page


def test_customers_cannot_ask_or_start(client, world, case):
    client.force_login(world.admin.user)
    assert client.post(reverse("remote:ask", args=[case.pk])).status_code == 404
    assert client.post(reverse("remote:start", args=[case.pk])).status_code == 404
    assert not ConsentRequest.objects.exists()


def test_the_history_shows_each_step_in_the_viewers_language(client, world, case):
    link = ask(client, world, case)
    client.force_login(world.admin.user)
    client.post(link, REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=BROWSER)
    client.force_login(world.agent)
    form = {"tool": "anydesk", "session_id": "123 456 789", "password_typed_by_user": "on"}
    client.post(reverse("remote:start", args=[case.pk]), form)
    client.cookies["supportdesk_language"] = "pl"
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Poproszono o zgodę na zdalną pomoc: ważna do" in page
    assert "Udzielono zgody na zdalną pomoc: ana@cliente-b.pt, z adresu 198.51.100.4" in page
    assert "Rozpoczęto sesję zdalną: AnyDesk 123 456 789" in page
    assert "Zdalna pomoc" in page and "Poproś o zgodę" not in page  # a session is running
    client.cookies["supportdesk_language"] = "pt"
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Sessão remota iniciada: AnyDesk 123 456 789" in page
