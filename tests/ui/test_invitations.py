"""An organization's administrator learns nothing about addresses outside it by inviting them,
and an invitation can never take over another account."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.models import Invitation, User

PASSWORD = "secret-pass-123"


def invite(admin: User, email: str) -> tuple[int, list[str]]:
    """What the administrator sees: the status and the page's notes, the address left out."""
    client = Client()
    client.force_login(admin)
    response = client.post(reverse("invitations"), {"email": email, "name": "", "role": "member"})
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    return response.status_code, [n.replace(email, "<email>") for n in notes]


@pytest.mark.django_db
def test_the_answer_is_the_same_whoever_the_address_belongs_to(world):
    answers = {
        email: invite(world.admin.user, email)
        for email in ("joao@webplug.example", "olga@outra.pt", "nobody@elsewhere.example")
    }
    assert len(set(map(repr, answers.values()))) == 1, answers
    assert answers["nobody@elsewhere.example"][0] == 302
    assert len(mail.outbox) == 3


def _link(email: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [email]]
    return re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["olga@outra.pt", "joao@webplug.example"])
def test_accepting_for_another_accounts_address_is_refused_and_changes_nothing(
    world, client, email
):
    invite(world.admin.user, email)
    page = client.post(
        _link(email), {"name": "Taken", "password1": "new-pass-9981", "password2": "new-pass-9981"}
    )
    assert page.status_code == 400
    assert "already belongs to an account" in page.content.decode()
    owner = User.objects.get(email=email)
    assert owner.check_password(PASSWORD) and owner.name != "Taken"
    if email == "olga@outra.pt":
        assert owner.contact.organization == world.other_org
    assert Invitation.objects.get(email=email).accepted_at is None
    assert "_auth_user_id" not in client.session
