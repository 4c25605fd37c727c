"""Senders checked against their domain (DKIM, DMARC, a trusted server's results): a forged
From of a domain that asks for it is held for review and buys nothing; a sender no domain
vouches for is heard, covered, and marked "not verified" for the agents.

DNS is a stub nameserver behind dnspython's real resolver; the keys are made here."""

import base64
import json
from io import StringIO
from pathlib import Path

import dkim
import dns.exception
import dns.message
import dns.nameserver
import dns.rcode
import dns.rdata
import dns.resolver
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from supportdesk.accounts.services import save_contact
from supportdesk.channels.email import sender_check
from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.mime import parse
from supportdesk.channels.email.models import InboundEmail, SenderCheck
from supportdesk.tickets import services
from supportdesk.tickets.choices import Coverage, Status
from supportdesk.tickets.models import Case, Event, OutboundMessage
from tests.channels.email.conftest import PRIORITY, SUPPORT, build

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "mail-corpus"
SIGNED = [b"from", b"to", b"subject", b"date", b"message-id"]
SERVER = "mx.webplug.example"


class StubNameserver(dns.nameserver.Nameserver):
    """Answers TXT questions from a dict; names in ``broken`` time out."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, list[str]] = {}
        self.broken: set[str] = set()
        self.asked: list[str] = []

    def __str__(self) -> str:
        return "stub"

    def kind(self) -> str:
        return "stub"

    def is_always_max_size(self) -> bool:
        return False

    def answer_nameserver(self) -> str:
        return "stub"

    def answer_port(self) -> int:
        return 53

    def query(self, request, timeout, source, source_port, max_size, *args, **kwargs):
        question = request.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.asked.append(name)
        if name in self.broken:
            raise dns.exception.Timeout
        response = dns.message.make_response(request)
        if name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        rrset = response.find_rrset(
            response.answer, question.name, question.rdclass, question.rdtype, create=True
        )
        for text in self.records[name]:
            chunks = [text[i : i + 255] for i in range(0, len(text), 255)]
            value = " ".join(f'"{c}"' for c in chunks)
            rrset.add(dns.rdata.from_text(question.rdclass, question.rdtype, value), 60)
        return response


class Zone:
    def __init__(self) -> None:
        self.server = StubNameserver()
        self.resolver = dns.resolver.Resolver(configure=False)
        self.resolver.nameservers = [self.server]

    def dmarc(self, domain: str, tags: str) -> None:
        self.server.records[f"_dmarc.{domain}"] = [f"v=DMARC1; {tags}"]

    def key(self, selector: str, domain: str, public: str) -> None:
        self.server.records[f"{selector}._domainkey.{domain}"] = [f"v=DKIM1; k=rsa; p={public}"]


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, str]:
    """A 2048-bit RSA key: the private one as PEM, the public one as DNS publishes it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(der).decode()


@pytest.fixture
def zone(settings, keys) -> Zone:
    """cliente-b.pt (Ana's domain) signs its mail and asks for forgeries to be rejected."""
    zone = Zone()
    zone.key("s1", "cliente-b.pt", keys[1])
    zone.dmarc("cliente-b.pt", "p=reject")
    settings.MAIL_DNS_RESOLVER = zone.resolver
    return zone


def signed(raw: bytes, private: bytes, domain: str = "cliente-b.pt") -> bytes:
    return dkim.sign(raw, b"s1", domain.encode(), private, include_headers=SIGNED) + raw


def verdict(raw: bytes, authserv_id: str = "") -> sender_check.Verdict:
    return sender_check.check(raw, parse(raw), authserv_id=authserv_id)


def case_of(outcome) -> Case:
    return Case.objects.get(pk=outcome.case)


# --- the verdict ------------------------------------------------------------------------------


class TestVerdict:
    def test_a_signature_of_the_from_domain_passes(self, zone, keys):
        assert verdict(signed(build(), keys[0])) == sender_check.Verdict("pass", "cliente-b.pt")

    def test_unsigned_mail_of_a_reject_domain_fails(self, zone):
        assert verdict(build()) == sender_check.Verdict("fail", "cliente-b.pt")

    @pytest.mark.parametrize("tags", ["p=quarantine", "p=reject; adkim=r; pct=100"])
    def test_quarantine_fails_too(self, zone, tags):
        zone.dmarc("cliente-b.pt", tags)
        assert verdict(build()).check == SenderCheck.FAIL

    def test_a_changed_body_breaks_the_signature(self, zone, keys):
        raw = signed(build(body="Pagamento para a conta 1."), keys[0])
        assert verdict(raw.replace(b"conta 1.", b"conta 9.")).check == SenderCheck.FAIL

    def test_a_valid_signature_of_another_domain_does_not_align(self, zone, keys):
        zone.key("s1", "evil.example", keys[1])
        assert verdict(signed(build(), keys[0], "evil.example")).check == SenderCheck.FAIL

    def test_a_subdomain_falls_under_its_organizations_policy(self, zone, keys):
        zone.dmarc("cliente-b.pt", "p=none; sp=reject")
        unsigned = build(sender="ana@suporte.cliente-b.pt")
        assert verdict(unsigned) == sender_check.Verdict("fail", "suporte.cliente-b.pt")
        # relaxed alignment: the organization's signature vouches for its subdomain
        assert verdict(signed(unsigned, keys[0])).check == SenderCheck.PASS
        zone.dmarc("cliente-b.pt", "p=none; sp=reject; adkim=s")
        assert verdict(signed(unsigned, keys[0])).check == SenderCheck.FAIL

    @pytest.mark.parametrize("tags", ["p=none", None])
    def test_no_policy_gives_no_verdict(self, zone, tags):
        if tags is None:
            del zone.server.records["_dmarc.cliente-b.pt"]
        else:
            zone.dmarc("cliente-b.pt", tags)
        assert verdict(build()).check == SenderCheck.NONE

    def test_dns_trouble_gives_no_verdict(self, zone):
        zone.server.broken.add("_dmarc.cliente-b.pt")
        assert verdict(build()).check == SenderCheck.NONE

    def test_a_key_lookup_timing_out_is_no_verdict_either(self, zone, keys):
        zone.server.broken.add("s1._domainkey.cliente-b.pt")
        assert verdict(signed(build(), keys[0])).check == SenderCheck.NONE

    def test_with_lookups_off_nothing_is_asked(self, zone, settings):
        settings.MAIL_DNS_RESOLVER = "off"
        assert verdict(build()).check == SenderCheck.NONE
        assert zone.server.asked == []

    def test_a_resolver_setting_that_is_no_address_is_refused(self, settings):
        settings.MAIL_DNS_RESOLVER = "my-dns-server"
        with pytest.raises(ImproperlyConfigured):
            verdict(build())


class TestAuthenticationResults:
    """The receiving server's results count only under the id the mailbox names."""

    def results(self, *values: str) -> bytes:
        return "".join(f"Authentication-Results: {v}\r\n" for v in values).encode()

    @pytest.mark.parametrize(
        "result",
        [
            "dmarc=pass header.from=cliente-b.pt",
            "dkim=pass header.d=cliente-b.pt",
            "spf=pass smtp.mailfrom=bounces@cliente-b.pt",
        ],
    )
    def test_the_trusted_server_vouches(self, zone, result):
        raw = self.results(f"{SERVER}; {result}") + build()
        assert verdict(raw, authserv_id=SERVER).check == SenderCheck.PASS
        assert zone.server.asked == []  # no lookup needed

    @pytest.mark.parametrize(
        "result",
        [
            "dmarc=pass header.from=evil.example",
            "dkim=pass header.d=evil.example",
            "dmarc=fail header.from=cliente-b.pt",
        ],
    )
    def test_what_does_not_pass_for_this_domain_does_not_vouch(self, zone, result):
        raw = self.results(f"{SERVER}; {result}") + build()
        assert verdict(raw, authserv_id=SERVER).check == SenderCheck.FAIL

    def test_another_servers_results_are_ignored(self, zone):
        raw = self.results("mx.evil.example; dmarc=pass header.from=cliente-b.pt") + build()
        assert verdict(raw, authserv_id=SERVER).check == SenderCheck.FAIL

    def test_without_a_configured_id_no_results_are_read(self, zone):
        raw = self.results(f"{SERVER}; dmarc=pass header.from=cliente-b.pt") + build()
        assert verdict(raw).check == SenderCheck.FAIL

    def test_a_header_with_our_id_written_below_ours_is_ignored(self, zone):
        forged = build(
            headers={"Authentication-Results": f"{SERVER}; dmarc=pass header.from=cliente-b.pt"}
        )
        raw = self.results(f"{SERVER}; dmarc=fail header.from=cliente-b.pt") + forged
        assert verdict(raw, authserv_id=SERVER).check == SenderCheck.FAIL


# --- at intake --------------------------------------------------------------------------------


def test_signed_mail_of_a_customer_is_covered_and_verified(world, mailboxes, zone, keys):
    case = case_of(receive(signed(build(to=PRIORITY), keys[0]), recipient=PRIORITY))
    assert case.covered and case.contact == world.admin and not case.needs_review
    assert case.clocks.filter(guaranteed=True).exists()
    assert InboundEmail.objects.get().sender_check == SenderCheck.PASS
    assert OutboundMessage.objects.filter(case=case).exists()  # acknowledged


def test_a_forged_from_is_held_for_review_and_buys_no_guarantee(world, mailboxes, zone):
    outcome = receive(build(to=PRIORITY, subject="URGENTE: servidor em baixo"), recipient=PRIORITY)
    case = case_of(outcome)
    assert outcome.status == "new" and case.needs_review
    assert not case.covered and case.coverage_code == Coverage.SENDER_FAILED
    assert case.coverage_param == "cliente-b.pt"
    assert "could not be verified for cliente-b.pt" in str(case.coverage_reason)
    assert case.contact is None and case.organization is None
    assert not case.clocks.filter(guaranteed=True).exists()
    assert case.requester_address == "ana@cliente-b.pt"  # kept for the reviewer
    assert not OutboundMessage.objects.exists()  # no mail to the forged address
    email = InboundEmail.objects.get()
    assert email.sender_check == SenderCheck.FAIL and not email.from_trusted


def _snapshot(case: Case) -> dict:
    case.refresh_from_db()
    return {
        "status": case.status,
        "updated_at": case.updated_at,
        "next_due": case.next_due,
        "messages": case.messages.count(),
        "events": Event.objects.filter(case=case).count(),
        "clocks": list(
            case.clocks.order_by("metric").values_list(
                "metric", "due_at", "paused_since", "paused_work", "met_at"
            )
        ),
    }


@pytest.mark.parametrize("threading", ["subject tag", "in-reply-to"])
def test_a_forged_reply_neither_reopens_the_case_nor_resumes_its_clock(
    world, mailboxes, zone, keys, threading
):
    genuine = case_of(receive(signed(build(to=PRIORITY), keys[0]), recipient=PRIORITY))
    services.post_reply(genuine, author=world.agent, body="Pode reiniciar o servidor?")
    services.change_status(genuine, Status.WAITING, actor=world.agent)
    before = _snapshot(genuine)
    assert before["status"] == Status.WAITING
    assert any(paused for _m, _d, paused, _w, _met in before["clocks"])
    ack = OutboundMessage.objects.filter(case=genuine).earliest("id").headers["Message-ID"]
    headers = {"In-Reply-To": ack, "References": ack} if threading == "in-reply-to" else {}
    forged = build(subject=f"Re: [{genuine.label}] Servidor em baixo", headers=headers)

    outcome = receive(forged)

    assert outcome.case != genuine.pk and outcome.status == "new"
    assert case_of(outcome).needs_review and not case_of(outcome).covered
    assert _snapshot(genuine) == before


def test_a_domain_without_a_policy_is_covered_but_marked_not_verified(
    world, mailboxes, zone, client
):
    zone.dmarc("cliente-b.pt", "p=none")
    case = case_of(receive(build()))
    assert case.covered and case.contact == world.admin and not case.needs_review
    assert InboundEmail.objects.get().sender_check == SenderCheck.NONE

    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "sender not verified" in page

    out = StringIO()
    call_command("show_case", str(case.pk), "--json", stdout=out)
    assert [m["sender_verified"] for m in json.loads(out.getvalue())["messages"]] == [False]


def test_a_verified_sender_is_not_marked(world, mailboxes, zone, keys, client):
    case = case_of(receive(signed(build(), keys[0])))
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "sender not verified" not in page


def test_a_mailbox_for_verified_senders_only_identifies_no_unverified_one(world, mailboxes, zone):
    zone.dmarc("cliente-b.pt", "p=none")
    mailboxes[0].trust_authentication_results = True
    mailboxes[0].save()
    case = case_of(receive(build()))
    assert not case.covered and case.contact is None and not case.needs_review


def test_the_trusted_servers_pass_at_intake_covers(world, mailboxes, zone):
    mailboxes[0].authserv_id = SERVER
    mailboxes[0].save()
    vouched = f"Authentication-Results: {SERVER}; dmarc=pass header.from=cliente-b.pt\r\n"
    foreign = "Authentication-Results: mx.evil.example; dmarc=pass header.from=cliente-b.pt\r\n"
    assert case_of(receive(vouched.encode() + build())).covered
    held = case_of(receive(foreign.encode() + build()))
    assert held.needs_review and held.coverage_code == Coverage.SENDER_FAILED


# --- the corpus' spoofing messages ------------------------------------------------------------


def _corpus(name: str) -> bytes:
    path = CORPUS / "zammad-upstream-extra" / name
    if not path.is_file():
        pytest.skip(f"mail corpus not found at {CORPUS}: spoofing messages not tried")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "domain"), [("mail117.box", "victim.example"), ("mail118.box", "example.com")]
)
def test_corpus_spoofs_of_a_reject_domain_are_held(world, mailboxes, zone, name, domain):
    save_contact(world.org, name="Agent", role="admin", email="agent@example.com")
    zone.dmarc(domain, "p=reject")
    outcome = receive(_corpus(name), recipient=SUPPORT)
    case = case_of(outcome)
    assert outcome.status == "new" and case.needs_review and not case.covered
    assert (case.coverage_code, case.coverage_param) == (Coverage.SENDER_FAILED, domain)
    assert case.contact is None and not case.clocks.exists()


def test_corpus_spoof_of_a_domain_without_policy_is_unidentified_and_marked(world, mailboxes, zone):
    save_contact(world.org, name="Agent", role="admin", email="agent@example.com")
    case = case_of(receive(_corpus("mail118.box"), recipient=SUPPORT))
    assert case.contact is None and not case.covered and not case.needs_review
    assert case.coverage_code == Coverage.SENDER_NOT_REGISTERED  # its From is malformed
    assert InboundEmail.objects.get().sender_check == SenderCheck.NONE
