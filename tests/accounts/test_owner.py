"""The buyer of a plan proves who they are: a link, then a 6-digit code by email, makes them the
organization's owner. The code is kept only as a keyed hash, works 10 minutes and 5 tries, a new
one is sent at most once a minute, and every step is in the organization's history."""

import hmac
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from supportdesk.accounts import services
from supportdesk.accounts.choices import ContactRole, OrganizationEventKind
from supportdesk.accounts.models import Contact, OrganizationEvent, OwnerClaim, User
from supportdesk.accounts.services import (
    OwnerError,
    check_owner_code,
    invite_owner,
    save_contact,
    send_owner_code,
)
from supportdesk.world.loader import load_text
from supportdesk.world.source import SourceError
from tests.factories import make_two_brands

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
BUYER = "kasia@cliente-b.pt"
PASSWORD = "owner-pass-5521"


def _api(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _mails_to(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email]]


def _link() -> str:
    """The link of the last mail that carries one (code mails follow it)."""
    links = [re.search(r"http://testserver(/owner/\S+/)", m.body) for m in _mails_to(BUYER)]
    return [found.group(1) for found in links if found][-1]


def _code() -> str:
    return re.search(r"^\s+(\d{6})$", _mails_to(BUYER)[-1].body, re.M).group(1)


def _record(world, **body) -> dict:
    response = _api(world.agent).post(
        f"/api/organizations/{world.org.slug}/owner",
        {"email": BUYER, **body},
        "application/json",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _claim() -> OwnerClaim:
    return OwnerClaim.objects.get(email=BUYER, claimed_at__isnull=True)


def test_the_buyer_opens_the_link_types_the_mailed_code_and_is_the_owner(world):
    answer = _record(world, name="Kasia", language="pl")
    assert answer["mailed"] and answer["email"] == BUYER
    assert "właścicielem" in _mails_to(BUYER)[0].subject  # the buyer's language
    browser = Client(REMOTE_ADDR="192.0.2.7")

    page = browser.get(_link())
    assert page.status_code == 200 and BUYER in page.content.decode()
    assert len(_mails_to(BUYER)) == 2  # opening the link mailed the code
    page = browser.post(_link(), {"action": "code", "code": _code()})
    assert page.status_code == 302
    page = browser.post(
        _link(),
        {"action": "claim", "name": "Kasia Nowak", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert page.status_code == 302 and page.url == reverse("invitations")
    owner = Contact.objects.get(addresses__value=BUYER)
    assert owner.role == ContactRole.OWNER and owner.organization == world.org
    assert owner.user.check_password(PASSWORD) and owner.user.language == "pl"
    assert browser.get(reverse("invitations")).status_code == 200  # signed in, administers
    assert browser.get(_link()).status_code == 404  # used up
    steps = list(OrganizationEvent.objects.filter(organization=world.org).order_by("at", "id"))
    assert [e.kind for e in steps] == [
        OrganizationEventKind.OWNER_INVITED,
        OrganizationEventKind.OWNER_CODE_SENT,
        OrganizationEventKind.OWNER_CLAIMED,
    ]
    assert (steps[0].actor, steps[0].ip) == (world.agent, "10.1.2.3")
    assert (steps[2].actor, steps[2].ip) == (owner.user, "192.0.2.7")
    assert steps[1].ip == "192.0.2.7" and all(e.at is not None for e in steps)


def test_the_code_is_stored_only_as_a_keyed_hash(world):
    claim, _secret = invite_owner(world.org, email=BUYER, by=world.agent, now=T0)
    code = send_owner_code(claim, now=T0)

    claim.refresh_from_db()
    stored = [str(getattr(claim, f.attname)) for f in OwnerClaim._meta.concrete_fields]
    assert re.fullmatch(r"\d{6}", code)
    assert not any(code in value for value in stored)
    assert len(claim.code_digest) == 64 and claim.code_digest != code
    events = OrganizationEvent.objects.filter(organization=world.org)
    assert not any(code in str(e.details) for e in events)
    # keyed with the site's secret: the same code under another key is another digest
    with override_settings(SECRET_KEY="another-key-entirely-0123456789abcdef"):
        assert services._code_digest(claim, code) != claim.code_digest


def test_the_code_is_compared_in_constant_time(world, monkeypatch):
    claim, _secret = invite_owner(world.org, email=BUYER, by=world.agent, now=T0)
    code = send_owner_code(claim, now=T0)
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(services.hmac, "compare_digest", spy)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(OwnerError):
        check_owner_code(claim, wrong, now=T0)
    check_owner_code(claim, code, now=T0)

    assert len(compared) == 2
    assert all(len(a) == len(b) == 64 for a, b in compared)  # digests, never the code itself
    assert all(code not in a + b for a, b in compared)


def test_the_code_works_ten_minutes(world):
    claim, _secret = invite_owner(world.org, email=BUYER, by=world.agent, now=T0)
    code = send_owner_code(claim, now=T0)
    with pytest.raises(OwnerError, match="expired"):
        check_owner_code(claim, code, now=T0 + timedelta(minutes=10))

    code = send_owner_code(claim, now=T0 + timedelta(minutes=11))
    check_owner_code(claim, code, now=T0 + timedelta(minutes=20, seconds=59))
    claim.refresh_from_db()
    assert claim.verified_at is not None


def test_five_wrong_tries_use_the_code_up_until_a_new_one_is_sent(world):
    claim, _secret = invite_owner(world.org, email=BUYER, by=world.agent, now=T0)
    code = send_owner_code(claim, now=T0)
    wrong = "000000" if code != "000000" else "111111"
    answers = []
    for _ in range(5):
        with pytest.raises(OwnerError) as refused:
            check_owner_code(claim, wrong, now=T0, ip="198.51.100.9")
        answers.append(str(refused.value))
    with pytest.raises(OwnerError, match="Too many wrong codes"):
        check_owner_code(claim, code, now=T0)  # even the right one

    assert answers[0] == "Wrong code. 4 tries left." and "Too many" in answers[-1]
    failures = OrganizationEvent.objects.filter(kind=OrganizationEventKind.OWNER_CODE_FAILED)
    assert failures.count() == 5 and {e.ip for e in failures} == {"198.51.100.9"}
    fresh = send_owner_code(claim, now=T0 + timedelta(minutes=1))
    check_owner_code(claim, fresh, now=T0 + timedelta(minutes=1))


def test_a_new_code_at_most_once_a_minute_and_it_replaces_the_last(world):
    claim, _secret = invite_owner(world.org, email=BUYER, by=world.agent, now=T0)
    first = send_owner_code(claim, now=T0)
    with pytest.raises(OwnerError, match="new code can be sent in 1 s"):
        send_owner_code(claim, now=T0 + timedelta(seconds=59))
    second = send_owner_code(claim, now=T0 + timedelta(seconds=60))

    if first != second:
        with pytest.raises(OwnerError, match="Wrong code"):
            check_owner_code(claim, first, now=T0 + timedelta(seconds=61))
    check_owner_code(claim, second, now=T0 + timedelta(seconds=62))


def test_the_page_refuses_a_second_code_within_the_minute(world, client):
    _record(world)
    client.get(_link())
    client.post(_link(), {"action": "resend"})
    assert len(_mails_to(BUYER)) == 2  # the link and one code
    page = client.get(_link())
    assert "possible in" in page.content.decode()


def test_an_existing_administrator_confirms_with_the_code_and_keeps_their_password(world):
    ana = world.admin
    _unused, secret = invite_owner(world.org, email=ana.email, by=world.agent)
    browser = Client()
    browser.get(reverse("owner_claim", args=[secret]))
    code = re.search(r"^\s+(\d{6})$", _mails_to(ana.email)[-1].body, re.M).group(1)
    browser.post(reverse("owner_claim", args=[secret]), {"action": "code", "code": code})
    page = browser.get(reverse("owner_claim", args=[secret]))
    assert "password1" not in page.content.decode()
    browser.post(reverse("owner_claim", args=[secret]), {"action": "claim"})

    ana.refresh_from_db()
    assert ana.role == ContactRole.OWNER and ana.user.check_password("secret-pass-123")


def test_only_the_browser_that_typed_the_code_may_finish(world):
    claim, secret = invite_owner(world.org, email=BUYER, by=world.agent, now=T0)
    code = send_owner_code(claim)
    check_owner_code(claim, code)
    other = Client()
    url = reverse("owner_claim", args=[secret])
    other.post(url, {"action": "claim", "name": "X", "password1": PASSWORD, "password2": PASSWORD})
    assert not Contact.objects.filter(role=ContactRole.OWNER).exists()


def _become_owner(world, email: str, **record) -> Contact:
    claim, _secret = invite_owner(world.org, email=email, by=world.agent, **record)
    check_owner_code(claim, send_owner_code(claim))
    user = services.claim_ownership(claim, name=email.split("@")[0], password=PASSWORD)
    return user.contact


def test_a_lost_owner_is_replaced_by_an_agent_with_a_note_and_becomes_an_administrator(world):
    first = _become_owner(world, BUYER)
    agent = _api(world.agent)
    url = f"/api/organizations/{world.org.slug}/owner"

    refused = agent.post(url, {"email": "new@cliente-b.pt"}, "application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "note"
    for customer in (world.admin.user, first.user, world.member.user):
        assert (
            _api(customer)
            .post(url, {"email": "new@cliente-b.pt", "note": "mine"}, "application/json")
            .status_code
            == 403
        )
    assert (
        _api(world.outsider.user).post(url, {"email": "x@y.pt"}, "application/json").status_code
        == 403
    )
    assert not OwnerClaim.objects.filter(email="new@cliente-b.pt").exists()

    note = "Kasia left the company; the CEO asked by phone, ticket #18"
    second = _become_owner(world, "new@cliente-b.pt", note=note)

    first.refresh_from_db()
    assert second.role == ContactRole.OWNER and first.role == ContactRole.ADMIN
    assert Contact.objects.filter(organization=world.org, role=ContactRole.OWNER).count() == 1
    demoted = OrganizationEvent.objects.get(kind=OrganizationEventKind.ROLE_CHANGED)
    assert demoted.details == {"name": first.name, "note": note, "from": "owner", "to": "admin"}
    assert demoted.actor == world.agent
    recorded = OrganizationEvent.objects.filter(kind=OrganizationEventKind.OWNER_INVITED).first()
    assert recorded.details["note"] == note and recorded.details["replaces"] == first.name


def test_an_agent_of_another_provider_cannot_record_the_owner(world):
    desk = make_two_brands(world)
    response = _api(world.agent).post(
        f"/api/organizations/{desk.mw_org.slug}/owner", {"email": BUYER}, "application/json"
    )
    assert response.status_code == 404
    with pytest.raises(OwnerError):
        invite_owner(desk.mw_org, email=BUYER, by=world.agent)


def test_one_owner_per_organization_in_the_database(world):
    save_contact(world.org, name="Kasia", role=ContactRole.OWNER, email=BUYER)
    with pytest.raises(IntegrityError):
        Contact.objects.filter(pk=world.member.pk).update(role=ContactRole.OWNER)


def test_the_command_line_records_the_buyer(world):
    out = StringIO()
    call_command("invite_owner", world.org.slug, BUYER, "--language", "pt", stdout=out)
    assert BUYER in out.getvalue()
    assert "proprietário" in _mails_to(BUYER)[0].subject
    assert _mails_to(BUYER)[0].body.count("/owner/") == 1
    event = OrganizationEvent.objects.get(kind=OrganizationEventKind.OWNER_INVITED)
    assert event.actor is None
    with pytest.raises(CommandError):
        call_command("invite_owner", "no-such-org", BUYER)
    _become_owner(world, BUYER)
    with pytest.raises(CommandError, match="note"):
        call_command("invite_owner", world.org.slug, "new@cliente-b.pt")


def test_the_admin_records_the_buyer(world):
    root = User.objects.create_superuser("root@webplug.example", "root-pass-1234")
    client = Client()
    client.force_login(root)
    response = client.post(
        reverse("admin:accounts_ownerclaim_add"),
        {"organization": world.org.pk, "email": BUYER, "name": "", "language": "", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert OwnerClaim.objects.get(email=BUYER).created_by == root
    assert "/owner/" in _mails_to(BUYER)[0].body


def test_the_history_is_shown_to_agents_and_the_organizations_administrators(world):
    _record(world)
    expected = f"{BUYER} recorded as the buyer"
    agent_page = _api(world.agent).get(reverse("organization", args=[world.org.slug]))
    assert expected in agent_page.content.decode()
    assert expected in _api(world.admin.user).get(reverse("invitations")).content.decode()
    assert _api(world.member.user).get(reverse("invitations")).status_code == 404
    outsider = _api(world.outsider.user).get(reverse("invitations")).content.decode()
    assert expected not in outsider


def test_the_world_file_may_name_one_owner(world):
    world_text = """
organizations:
  cliente-c:
    name: Cliente C
    contacts:
      - {name: Dora, email: dora@cliente-c.pt, role: owner}
      - {name: Eva, email: eva@cliente-c.pt, role: admin}
"""
    load_text(world_text)
    assert Contact.objects.get(name="Dora").role == ContactRole.OWNER
    with pytest.raises(SourceError, match="one owner"):
        load_text(world_text.replace("role: admin", "role: owner"))


def test_one_link_sends_at_most_ten_codes(world):
    start = timezone.now() - timedelta(minutes=30)
    claim, secret = invite_owner(world.org, email=BUYER, by=world.agent, now=start)
    for minute in range(10):
        send_owner_code(claim, now=start + timedelta(minutes=minute))
    with pytest.raises(OwnerError, match="sent all its codes"):
        send_owner_code(claim, now=start + timedelta(minutes=10))
    page = Client().get(reverse("owner_claim", args=[secret]))
    assert "sent all its codes" in page.content.decode()
