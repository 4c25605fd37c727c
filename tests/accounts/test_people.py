"""An organization's administrators (and its owner) manage its people: invitations with a phone
number and an extension, one by one or from a CSV file, in the invitee's language; revoking and
resending them; changing roles; deactivating someone. Each change is in the history."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.choices import ContactRole, OrganizationEventKind
from supportdesk.accounts.models import Contact, Invitation, OrganizationEvent, User
from supportdesk.accounts.services import InvitationError, invite_contact, save_contact
from supportdesk.tickets import services as tickets

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"


def _as(user: User, address: str = "203.0.113.5") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def _invite(client: Client, **fields) -> object:
    data = {"name": "", "role": "member", "phone": "", "extension": "", "language": "en"}
    return client.post(reverse("invitations"), {**data, **fields})


def _link(email: str) -> str:
    message = [m for m in mail.outbox if m.to == [email]][-1]
    return re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)


def test_an_invitation_with_phone_and_extension_in_the_invitees_language(world):
    response = _invite(
        _as(world.admin.user),
        email="Piotr@Cliente-B.pt",
        name="Piotr",
        phone="+48 22 100 01 01",
        extension="204",
        language="pl",
    )
    assert response.status_code == 302

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.phone, invitation.extension, invitation.language) == (
        "piotr@cliente-b.pt",
        "+48221000101",
        "204",
        "pl",
    )
    (message,) = mail.outbox
    assert "zaprasza" in message.subject and "204" in message.body  # Polish, with the extension
    browser = Client()
    browser.post(
        _link("piotr@cliente-b.pt"),
        {"name": "Piotr Zając", "password1": "new-pass-9981", "password2": "new-pass-9981"},
    )
    piotr = Contact.objects.get(name="Piotr Zając")
    assert piotr.extension == "204" and piotr.phone == "+48221000101"
    assert piotr.user.language == "pl" and piotr.role == ContactRole.MEMBER
    accepted = OrganizationEvent.objects.get(kind=OrganizationEventKind.INVITATION_ACCEPTED)
    assert accepted.actor == piotr.user


def test_the_owner_invites_too_but_no_one_invites_an_owner(world):
    owner = save_contact(world.org, name="Kasia", role=ContactRole.OWNER, email="k@cliente-b.pt")
    owner.user.set_password(PASSWORD)
    owner.user.save()
    assert _invite(_as(owner.user), email="new@cliente-b.pt").status_code == 302
    page = _invite(_as(owner.user), email="other@cliente-b.pt", role="owner")
    assert page.status_code == 200 and not Invitation.objects.filter(role="owner").exists()
    with pytest.raises(InvitationError, match="recorded by the provider"):
        invite_contact(world.org, email="x@cliente-b.pt", role="owner", invited_by=owner.user)


def test_an_extension_is_one_persons_within_the_organization(world):
    Contact.objects.filter(pk=world.member.pk).update(extension="101")
    admin = world.admin.user
    with pytest.raises(InvitationError, match="Extension 101"):
        invite_contact(
            world.org, email="a@cliente-b.pt", role="member", invited_by=admin, extension="101"
        )
    invite_contact(
        world.org, email="a@cliente-b.pt", role="member", invited_by=admin, extension="102"
    )
    with pytest.raises(InvitationError, match="Extension 102"):
        invite_contact(
            world.org, email="b@cliente-b.pt", role="member", invited_by=admin, extension="102"
        )
    # another organization may use the same numbers
    invite_contact(
        world.other_org,
        email="c@outra.pt",
        role="member",
        invited_by=world.outsider.user,
        extension="101",
    )
    with pytest.raises(IntegrityError):
        Contact.objects.filter(pk=world.admin.pk).update(extension="101")


def test_a_csv_file_invites_everyone_or_no_one_and_names_each_wrong_line(world):
    admin = _as(world.admin.user)
    Contact.objects.filter(pk=world.member.pk).update(extension="101")
    bad = (
        "email,name,role,phone,extension,language\n"
        "p1@cliente-b.pt,Pedro,member,+351912000001,201,pt\n"
        "p2@cliente-b.pt,Paula,admin,12345,202,pt\n"
        "p3@cliente-b.pt,Paulo,member,,201,en\n"
        "not-an-address,Nobody,member,,,\n"
        "p5@cliente-b.pt,Pia,owner,,,\n"
        "p6@cliente-b.pt,Pim,member,,101,\n"
    )
    page = admin.post(
        reverse("invitation_file"), {"file": SimpleUploadedFile("people.csv", bad.encode())}
    )

    text = page.content.decode()
    assert page.status_code == 400
    for line, why in [
        (3, "international form"),
        (4, "Extension 201 is on line 2 too"),
        (5, "valid email"),
        (6, "recorded by the provider"),
        (7, "Extension 101 is someone"),
    ]:
        assert re.search(rf"Line {line}: [^<]*{why}", text), (line, why)
    assert "Line 2:" not in text
    assert not Invitation.objects.exists() and mail.outbox == []
    assert not OrganizationEvent.objects.exists()

    good = (
        "\ufeffEmail,Name,Phone,Extension,Language\n"
        "p1@cliente-b.pt,Pedro,+351912000001,201,pt\n"
        "\n"
        "p2@cliente-b.pt,Paula,,202,pl\n"
    )
    page = admin.post(
        reverse("invitation_file"), {"file": SimpleUploadedFile("people.csv", good.encode())}
    )
    assert page.status_code == 302
    assert sorted(Invitation.objects.values_list("email", "extension", "role")) == [
        ("p1@cliente-b.pt", "201", "member"),
        ("p2@cliente-b.pt", "202", "member"),
    ]
    assert len(mail.outbox) == 2
    assert OrganizationEvent.objects.filter(kind=OrganizationEventKind.INVITED).count() == 2


def test_revoke_and_resend_an_invitation(world):
    admin = _as(world.admin.user)
    _invite(admin, email="late@cliente-b.pt")
    invitation = Invitation.objects.get()
    first = _link("late@cliente-b.pt")

    assert admin.post(reverse("invitation_resend", args=[invitation.pk])).status_code == 302
    second = _link("late@cliente-b.pt")
    assert first != second
    assert Client().get(first).status_code == 404 and Client().get(second).status_code == 200

    assert admin.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 302
    assert Client().get(second).status_code == 404
    assert not Invitation.objects.exists()
    kinds = list(OrganizationEvent.objects.order_by("at", "id").values_list("kind", "actor", "ip"))
    assert kinds == [
        (OrganizationEventKind.INVITED, world.admin.user.pk, "203.0.113.5"),
        (OrganizationEventKind.INVITATION_RESENT, world.admin.user.pk, "203.0.113.5"),
        (OrganizationEventKind.INVITATION_REVOKED, world.admin.user.pk, "203.0.113.5"),
    ]


def test_a_member_and_another_organizations_administrator_cannot_manage_people(world):
    invitation, _secret = invite_contact(
        world.org, email="late@cliente-b.pt", role="member", invited_by=world.admin.user
    )
    bruno = world.member
    for user in (world.member.user, world.outsider.user):
        client = _as(user)
        answers = [
            client.post(reverse("invitation_resend", args=[invitation.pk])),
            client.post(reverse("invitation_revoke", args=[invitation.pk])),
            client.post(reverse("person_role", args=[world.admin.pk]), {"role": "member"}),
            client.post(reverse("person_active", args=[world.admin.pk]), {"active": "0"}),
        ]
        assert [a.status_code for a in answers] == [404] * 4, user
    upload = {"file": SimpleUploadedFile("p.csv", b"email\nx@cliente-b.pt\n")}
    assert _as(bruno.user).post(reverse("invitation_file"), upload).status_code == 404
    world.admin.refresh_from_db()
    assert world.admin.role == ContactRole.ADMIN and world.admin.user.is_active
    assert Invitation.objects.get() == invitation
    assert bruno.role == ContactRole.MEMBER
    assert OrganizationEvent.objects.filter(organization=world.org).count() == 1  # the invite


def test_an_administrator_changes_roles_but_never_to_or_of_the_owner(world):
    admin = _as(world.admin.user)
    owner = save_contact(world.org, name="Kasia", role=ContactRole.OWNER, email="k@cliente-b.pt")

    admin.post(reverse("person_role", args=[world.member.pk]), {"role": "licensed_member"})
    admin.post(reverse("person_role", args=[world.member.pk]), {"role": "owner"})
    admin.post(reverse("person_role", args=[owner.pk]), {"role": "member"})
    admin.post(reverse("person_role", args=[world.admin.pk]), {"role": "member"})  # themselves

    world.member.refresh_from_db()
    owner.refresh_from_db()
    world.admin.refresh_from_db()
    assert world.member.role == ContactRole.LICENSED_MEMBER
    assert owner.role == ContactRole.OWNER and world.admin.role == ContactRole.ADMIN
    (changed,) = OrganizationEvent.objects.filter(kind=OrganizationEventKind.ROLE_CHANGED)
    assert changed.details == {"name": "Bruno Reis", "from": "member", "to": "licensed_member"}
    assert (changed.actor, changed.ip) == (world.admin.user, "203.0.113.5")
    assert (
        "Bruno Reis: Member → Licensed member" in admin.get(reverse("invitations")).content.decode()
    )


def test_a_deactivated_person_cannot_sign_in_and_their_cases_stay(world):
    bruno = world.member
    case = tickets.open_case(subject="Printer", body="!", channel="web", contact=bruno)
    session = _as(bruno.user)
    assert session.get(reverse("my_cases")).status_code == 200

    response = _as(world.admin.user).post(
        reverse("person_active", args=[bruno.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    bruno.user.refresh_from_db()
    assert not bruno.user.is_active
    browser = Client()
    browser.post(reverse("login"), {"username": bruno.user.email, "password": PASSWORD})
    assert "_auth_user_id" not in browser.session
    assert session.get(reverse("my_cases")).status_code == 302  # signed out
    case.refresh_from_db()
    assert case.contact == bruno
    assert world.admin.user.contact.organization.cases.filter(pk=case.pk).exists()
    assert OrganizationEvent.objects.filter(kind=OrganizationEventKind.DEACTIVATED).exists()

    _as(world.admin.user).post(reverse("person_active", args=[bruno.pk]), {"active": "1"})
    bruno.user.refresh_from_db()
    assert bruno.user.is_active


def test_the_owner_cannot_be_deactivated_by_an_administrator(world):
    owner = save_contact(world.org, name="Kasia", role=ContactRole.OWNER, email="k@cliente-b.pt")
    _as(world.admin.user).post(reverse("person_active", args=[owner.pk]), {"active": "0"})
    owner.user.refresh_from_db()
    assert owner.user.is_active
