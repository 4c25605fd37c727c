"""Sign in, password reset by email, invitations by an organization's administrator."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from supportdesk.accounts.models import Invitation, RegisteredAddress, User
from supportdesk.accounts.services import save_contact


@pytest.mark.django_db
def test_sign_in_with_email_and_password_remembers_the_language(world, client):
    world.admin.user.language = "pl"
    world.admin.user.save()
    response = client.post(
        reverse("login"), {"username": "ana@cliente-b.pt", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert response.cookies["supportdesk_language"].value == "pl"
    assert client.get(reverse("my_cases")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_explained_in_the_page(world, client):
    response = client.post(reverse("login"), {"username": "ana@cliente-b.pt", "password": "x"})
    assert "Your email and password didn&#x27;t match" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_by_email_also_for_a_contact_without_a_password(world, client):
    contact = save_contact(world.org, name="Carla", role="member", email="carla@cliente-b.pt")
    assert not contact.user.has_usable_password()
    response = client.post(reverse("password_reset"), {"email": "carla@cliente-b.pt"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["carla@cliente-b.pt"]
    link = re.search(r"http://testserver(/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-pass-7781", "new_password2": "a-long-pass-7781"},
    )
    assert done.status_code == 302
    contact.user.refresh_from_db()
    assert contact.user.check_password("a-long-pass-7781")


@pytest.mark.django_db
def test_password_reset_mail_is_in_the_requesters_language(world, client):
    client.post(reverse("password_reset"), {"email": "ana@cliente-b.pt"}, HTTP_ACCEPT_LANGUAGE="pt")
    (message,) = mail.outbox
    assert message.subject == "A sua palavra-passe do Supportdesk"
    assert "Alguém (esperamos que tenha sido o próprio)" in message.body


@pytest.mark.django_db
def test_unknown_address_gets_the_same_answer_and_no_mail(db, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and mail.outbox == []


@pytest.mark.django_db
def test_admin_invites_a_contact_who_joins_with_a_registered_address(world, client):
    client.force_login(world.admin.user)
    response = client.post(
        reverse("invitations"), {"email": "Dora@Cliente-B.pt", "name": "Dora", "role": "member"}
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["dora@cliente-b.pt"]
    link = re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)
    client.logout()
    page = client.get(link)
    assert "Join the support portal of Cliente B, Lda." in page.content.decode()
    joined = client.post(
        link, {"name": "Dora Lima", "password1": "dora-pass-4471", "password2": "dora-pass-4471"}
    )
    assert joined.status_code == 302
    user = User.objects.get(email="dora@cliente-b.pt")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert user.contact.organization == world.org and user.contact.role == "member"
    assert RegisteredAddress.objects.filter(contact=user.contact, value="dora@cliente-b.pt")
    assert client.get(link).status_code == 404  # used once


@pytest.mark.django_db
def test_members_and_agents_cannot_invite(world, client):
    client.force_login(world.member.user)
    assert client.get(reverse("invitations")).status_code == 404
    client.force_login(world.agent)
    assert client.get(reverse("invitations")).status_code == 404


@pytest.mark.django_db
def test_inviting_someone_with_an_account_is_refused(world, client):
    client.force_login(world.admin.user)
    response = client.post(
        reverse("invitations"), {"email": "bruno@cliente-b.pt", "name": "", "role": "member"}
    )
    assert "bruno@cliente-b.pt already has an account." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_a_failed_invitation_mail_leaves_the_link_for_the_admin(world, client, settings):
    settings.EMAIL_BACKEND = "tests.ui.test_accounts.FailingBackend"
    client.force_login(world.admin.user)
    response = client.post(
        reverse("invitations"), {"email": "eva@cliente-b.pt", "role": "member"}, follow=True
    )
    assert "Give eva@cliente-b.pt this link: http://testserver/invitations/" in (
        response.content.decode()
    )


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no SMTP server")


@pytest.mark.django_db
def test_preferences_set_time_zone_and_language(world, client):
    client.force_login(world.member.user)
    response = client.post(
        reverse("preferences"), {"timezone": "America/Sao_Paulo", "language": "pt"}
    )
    assert response.cookies["supportdesk_language"].value == "pt"
    world.member.user.refresh_from_db()
    assert (world.member.user.timezone, world.member.user.language) == ("America/Sao_Paulo", "pt")


@pytest.mark.django_db
def test_language_menu_switches_and_remembers(world, client):
    client.force_login(world.member.user)
    response = client.post(reverse("switch_language"), {"language": "pl", "next": "/cases/"})
    assert response.status_code == 302 and response.url == "/cases/"
    assert "Moje zgłoszenia" in client.get("/cases/").content.decode()
    world.member.user.refresh_from_db()
    assert world.member.user.language == "pl"
    off_site = client.post(
        reverse("switch_language"), {"language": "pt", "next": "https://x.example/"}
    )
    assert off_site.url == "/"
