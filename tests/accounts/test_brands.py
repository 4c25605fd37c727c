"""Providers on one desk stay apart: an agent of one brand reads and changes nothing of another's,
on any page or API operation; an agent of every brand and a superuser see all; a desk without
brands works as a desk of one."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.models import Organization, User
from supportdesk.accounts.services import issue_token
from supportdesk.billing import services as billing
from supportdesk.billing.models import HourPack, TimeEntry
from supportdesk.billing.pdf import as_pdf
from supportdesk.billing.statement import build_statement
from supportdesk.channels.chat.choices import ConversationState
from supportdesk.channels.chat.models import Conversation
from supportdesk.channels.email import intake
from supportdesk.channels.email.models import InboundEmail, Mailbox
from supportdesk.channels.email.outgoing import acknowledgement_text
from supportdesk.knowledge import services as knowledge
from supportdesk.knowledge.models import Article
from supportdesk.tickets import attachments, services
from supportdesk.tickets.models import Case
from tests.factories import TwoBrands, make_two_brands

pytestmark = pytest.mark.django_db

WORKED = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_cached_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def desk(world) -> TwoBrands:
    """Each provider with a case, an hour of work, a pack, an article and a chat with a person,
    and MeetWave with mail from an unknown sender to its own address."""
    desk = make_two_brands(world)
    wp_case, mw_case = (
        attachments.open_case(
            subject=subject,
            body="!",
            channel="web",
            contact=contact,
            at=WORKED,
            files=[SimpleUploadedFile(f"{subject}.txt", b"log")],
        )
        for subject, contact in (("Impressora WP", world.admin), ("Kamera MW", desk.mw_admin))
    )
    for case, agent in ((wp_case, world.agent), (mw_case, desk.mw_agent)):
        billing.record_work(case, agent, WORKED, WORKED + timedelta(hours=1), True, "")
        billing.add_pack(
            case.organization, kind="single", hours=Decimal(5), purchased=WORKED.date()
        )
        Conversation.objects.create(
            user=case.contact.user,
            contact=case.contact,
            state=ConversationState.WAITING,
            case=case,
            created_at=WORKED,
            updated_at=WORKED,
            handed_off_at=WORKED,
        )
    for key, brand, title in (
        ("wp-art", "webplug", "Artigo WP"),
        ("mw-art", "meetwave", "Artykuł MW"),
    ):
        knowledge.save_article(
            key, lang="en", title=title, body="Body.", status="published", brand=brand
        )
    knowledge.save_article(
        "shared-art", lang="en", title="Artigo comum", body="Body.", status="published"
    )
    mailbox = Mailbox.objects.create(address="help@meetwave.example", brand=desk.meetwave)
    raw = b"From: stranger@example.org\r\nTo: help@meetwave.example\r\nSubject: Obcy MW\r\n"
    raw += b"Message-ID: <1@example.org>\r\n\r\nHello\r\n"
    intake.receive(raw, recipient="help@meetwave.example", mailbox=mailbox, now=WORKED)
    desk.cases = {"webplug": wp_case, "meetwave": mw_case}
    return desk


#: What each brand's records look like in any page or answer: its customer, contact, case,
#: plan, article and unknown sender's mail.
MARKS = {
    "webplug": ("cliente-b", "ana@cliente-b.pt", "Impressora WP", "Artigo WP"),
    "meetwave": ("wisla", "agnieszka@wisla.pl", "Kamera MW", "Artykuł MW", "Obcy MW"),
}


def _agents(desk: TwoBrands) -> dict[str, object]:
    return {
        "webplug": desk.world.agent,
        "meetwave": desk.mw_agent,
        "all brands": desk.lead,
        "superuser": desk.root,
    }


def _reads(desk: TwoBrands, who: str) -> set[str]:
    """The brands whose records ``who`` may read."""
    return {"webplug", "meetwave"} if who in ("all brands", "superuser") else {who}


def _assert_marks(text: str, readable: set[str], where: str) -> None:
    for brand, marks in MARKS.items():
        for mark in marks:
            if brand in readable:
                continue
            assert mark not in text, f"{where} shows {brand}'s {mark!r}"


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _api(user) -> Client:
    return Client(headers={"authorization": f"Bearer {issue_token(user, 'tests')}"})


# ---------------------------------------------------------------------------------- the API


def _api_reads(desk: TwoBrands, brand: str) -> dict[str, str]:
    """One read of every GET operation, for the records of ``brand``."""
    case = desk.cases[brand]
    org = case.organization
    contact = case.contact
    return {
        "/api/cases": "/api/cases",
        "/api/cases/{case_id}": f"/api/cases/{case.pk}",
        "/api/cases/{case_id}/attachments/{attachment_id}": (
            f"/api/cases/{case.pk}/attachments/{case.attachments.get().pk}"
        ),
        "/api/plans": "/api/plans",
        "/api/plans/{slug}": f"/api/plans/{case.plan.slug}",
        "/api/organizations": "/api/organizations",
        "/api/organizations/{slug}": f"/api/organizations/{org.slug}",
        "/api/contacts": "/api/contacts",
        "/api/contacts/{contact_id}": f"/api/contacts/{contact.pk}",
        "/api/agents": "/api/agents",
        "/api/billing/time-entries": "/api/billing/time-entries",
        "/api/billing/packs": "/api/billing/packs",
        "/api/billing/statements/{organization}/{month}": (
            f"/api/billing/statements/{org.slug}/2026-03"
        ),
        "/api/cases/{case_id}/remote-sessions": f"/api/cases/{case.pk}/remote-sessions",
        "/api/request-types": "/api/request-types",
        "/api/me": "/api/me",
        "/api/tokens": "/api/tokens",
    }


#: Reads that belong to the whole desk, not to a provider: the status page's components and
#: incidents are shown by their audience (public, organizations, plans), to agents in full.
DESK_WIDE_READS = {"/api/status/components", "/api/status/incidents/{incident_id}"}


def test_every_read_of_the_api_is_covered_here(desk):
    from supportdesk.api.main import api

    reads = {path for path, ops in api.get_openapi_schema()["paths"].items() if "get" in ops}
    covered = set(_api_reads(desk, "webplug")) | DESK_WIDE_READS
    assert reads == covered, "a new read operation needs a brand check"


@pytest.mark.parametrize("who", ["webplug", "meetwave", "all brands", "superuser"])
def test_the_api_shows_an_agent_only_its_brand(desk, who):
    client = _api(_agents(desk)[who])
    readable = _reads(desk, who)
    for brand in ("webplug", "meetwave"):
        for template, path in _api_reads(desk, brand).items():
            response = client.get(path)
            if "{" in template and brand not in readable:
                assert response.status_code == 404, f"{who} read {path}"
                continue
            assert response.status_code == 200, path
            _assert_marks(_text(response), readable, f"{who}: {path}")
    listed = {c["subject"] for c in client.get("/api/cases").json()["items"]}
    expected = {desk.cases[b].subject for b in readable} | (
        {"Obcy MW"} if "meetwave" in readable else set()
    )
    assert listed == expected
    agents = {a["email"] for a in client.get("/api/agents").json()["items"]}
    assert ("sofia@meetwave.example" in agents) == ("meetwave" in readable)


def test_an_agent_changes_nothing_of_another_brand_through_the_api(desk):
    client = _api(desk.world.agent)
    mw_case = desk.cases["meetwave"]
    entry = TimeEntry.objects.get(case=mw_case)
    refused = [
        client.patch(f"/api/cases/{mw_case.pk}", {"priority": "P1"}, "application/json"),
        client.post(f"/api/cases/{mw_case.pk}/replies", {"body": "x"}, "application/json"),
        client.post(f"/api/cases/{mw_case.pk}/notes", {"body": "x"}, "application/json"),
        client.post(
            "/api/billing/time-entries",
            {"case_id": mw_case.pk, "start": "2026-03-03T10:00:00Z", "end": "2026-03-03T11:00:00Z"},
            "application/json",
        ),
        client.patch(
            f"/api/billing/time-entries/{entry.pk}", {"note": "mine now"}, "application/json"
        ),
        client.delete(f"/api/billing/time-entries/{entry.pk}"),
        client.post("/api/billing/timer/start", {"case_id": mw_case.pk}, "application/json"),
        client.post(
            "/api/billing/packs",
            {"organization": "wisla", "kind": "single", "hours": "9", "purchased": "2026-03-01"},
            "application/json",
        ),
        client.post("/api/billing/statements/wisla/2026-03/close"),
        client.post(
            "/api/cases",
            {"subject": "On behalf", "body": "x", "organization": "wisla"},
            "application/json",
        ),
        client.post("/api/organizations/wisla/owner", {"email": "x@wisla.pl"}, "application/json"),
    ]
    assert [r.status_code for r in refused if r.status_code < 400] == []
    mw_case.refresh_from_db()
    assert mw_case.priority == "P3" and mw_case.messages.count() == 1
    assert TimeEntry.objects.filter(case=mw_case).count() == 1 and entry.note == ""
    assert HourPack.objects.filter(organization=desk.mw_org).count() == 1
    assert not Case.objects.filter(subject="On behalf").exists()
    # Its own brand it may change, and a case it opens for nobody in particular is its brand's.
    assert (
        client.patch(
            f"/api/cases/{desk.cases['webplug'].pk}", {"priority": "P2"}, "application/json"
        ).status_code
        == 200
    )
    opened = client.post("/api/cases", {"subject": "Proactive", "body": "x"}, "application/json")
    assert Case.objects.get(pk=opened.json()["id"]).brand == desk.webplug


# ---------------------------------------------------------------------------------- pages


def _pages(desk: TwoBrands, brand: str) -> dict[str, str]:
    """Every workspace page that shows a record of ``brand``: its URL."""
    case = desk.cases[brand]
    org = case.organization
    article = "wp-art" if brand == "webplug" else "mw-art"
    chat = Conversation.objects.get(case=case)
    pages = {
        "case": reverse("case_detail", args=[case.pk]),
        "attachment": reverse("attachment", args=[case.attachments.get().pk]),
        "organization": reverse("organization", args=[org.slug]),
        "statement": reverse("billing:org_statement", args=[org.slug]) + "?month=2026-03",
        "statement pdf": reverse("billing:org_statement_file", args=[org.slug, "2026-03", "pdf"]),
        "plan": reverse("plan_detail", args=[case.plan.slug]),
        "article": reverse("kb_article", args=[article]),
        "article editor": reverse("desk_kb_edit", args=[article]),
        "article history": reverse("desk_kb_history", args=[article]),
        "chat": reverse("desk_chat", args=[chat.pk]),
        "chat messages": reverse("desk_chat_messages", args=[chat.pk]),
    }
    if brand == "meetwave":
        email = InboundEmail.objects.get(subject="Obcy MW")
        pages["raw mail"] = reverse("email_raw", args=[email.pk])
    return pages


LISTS = {
    "queue": reverse("queue"),
    "queue counts": reverse("queue_counts"),
    "organizations": reverse("organizations"),
    "articles": reverse("desk_kb"),
    "chats": reverse("desk_chats"),
    "SLA dashboard": reverse("sla_dashboard") + "?month=2026-03",
}


@pytest.mark.parametrize("who", ["webplug", "meetwave", "all brands"])
def test_the_workspace_shows_an_agent_only_its_brand(desk, who, client):
    client.force_login(_agents(desk)[who])
    readable = _reads(desk, who)
    for name, url in LISTS.items():
        response = client.get(url)
        assert response.status_code == 200, name
        _assert_marks(response.content.decode(), readable, f"{who}: {name}")
    queue = client.get(reverse("queue")).content.decode()
    for brand in readable:
        assert desk.cases[brand].subject in queue
    for brand in ("webplug", "meetwave"):
        for name, url in _pages(desk, brand).items():
            status = client.get(url).status_code
            assert status == (200 if brand in readable else 404), f"{who}: {brand}'s {name}"


def test_the_workspace_changes_nothing_of_another_brand(desk, client):
    client.force_login(desk.world.agent)
    mw_case = desk.cases["meetwave"]
    entry = TimeEntry.objects.get(case=mw_case)
    posts = [
        reverse("case_reply", args=[mw_case.pk]),
        reverse("case_update", args=[mw_case.pk]),
        reverse("billing:timer_start", args=[mw_case.pk]),
        reverse("billing:entry_add", args=[mw_case.pk]),
        reverse("billing:entry_edit", args=[entry.pk]),
        reverse("billing:entry_delete", args=[entry.pk]),
        reverse("billing:month_close", args=["wisla", "2026-03"]),
        reverse("desk_kb_edit", args=["mw-art"]),
    ]
    for url in posts:
        assert client.post(url, {"body": "x", "priority": "P1"}).status_code == 404, url
    assert TimeEntry.objects.filter(case=mw_case).count() == 1
    assert mw_case.messages.count() == 1


def test_a_superuser_reads_every_brand(desk, client):
    client.force_login(desk.root)
    for brand in ("webplug", "meetwave"):
        email = InboundEmail.objects.filter(case__brand__slug=brand).first()
        if email is not None:
            assert client.get(reverse("email_raw", args=[email.pk])).status_code == 200
    statements = _api(desk.root).get("/api/billing/statements/wisla/2026-03")
    assert statements.status_code == 200


def test_mail_to_a_brands_address_is_that_brands_case(desk):
    case = Case.objects.get(subject="Obcy MW")
    assert case.brand == desk.meetwave and case.organization is None


def test_a_new_article_belongs_to_its_authors_brand(desk, client):
    client.force_login(desk.mw_agent)
    client.post(
        reverse("desk_kb_new"),
        {"external_id": "mw-new", "lang": "pl", "title": "Nowy", "body": "Treść",
         "visibility": "public", "status": "published"},
    )  # fmt: skip
    assert Article.objects.get(external_id="mw-new").brand == desk.meetwave


# ---------------------------------------------------------------------------------- customers


def test_customers_read_their_brands_articles_and_see_its_name(desk, client):
    client.force_login(desk.mw_admin.user)
    home = client.get(reverse("kb"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Artykuł MW" in home and "Artigo comum" in home and "Artigo WP" not in home
    assert client.get(reverse("kb_article", args=["wp-art"])).status_code == 404
    page = client.get(reverse("my_cases"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "MeetWave Polska" in page
    # Visitors who have not signed in read every brand's public articles.
    client.logout()
    visitor = client.get(reverse("kb")).content.decode()
    assert "Artykuł MW" in visitor and "Artigo WP" in visitor


def test_acknowledgements_and_statements_carry_the_brands_name(desk):
    _subject, body = acknowledgement_text(desk.cases["meetwave"], "pl")
    assert "MeetWave Polska" in body
    _subject, body = acknowledgement_text(desk.cases["webplug"], "pt")
    assert "WebPlug" in body
    pdf = as_pdf(build_statement(desk.world.org, datetime(2026, 3, 1).date()))
    assert b"WebPlug" in pdf


# ---------------------------------------------------------------------------------- one provider


def test_a_desk_without_brands_shows_every_agent_everything(world, client):
    """The named world configures no brand: its agent sees both organizations, as always."""
    for contact in (world.admin, world.outsider):
        services.open_case(subject=f"Caso {contact.name}", body="!", channel="web", contact=contact)
    client.force_login(world.agent)
    queue = client.get(reverse("queue")).content.decode()
    assert "Caso Ana Silva" in queue and "Caso Olga Nowak" in queue
    orgs = _api(world.agent).get("/api/organizations").json()["items"]
    assert {o["slug"] for o in orgs} == {"cliente-b", "outra"}
    assert client.get(reverse("organization", args=["outra"])).status_code == 200


def test_counts_are_never_shared_between_brands(desk, client):
    client.force_login(desk.lead)
    assert "Wisła" in client.get(reverse("queue_counts")).content.decode()
    client.force_login(desk.world.agent)
    for url in (reverse("queue"), reverse("queue_counts")):
        assert "Wisła" not in client.get(url).content.decode()


def test_in_the_demo_each_providers_agent_sees_only_its_customers(client):
    call_command("demo", stdout=StringIO())
    queues = {}
    for email in ("joao@webplug.example", "sofia@meetwave.example", "marek@techopieka.example"):
        client.force_login(User.objects.get(email=email))
        queues[email] = client.get(reverse("queue")).content.decode()
        organizations = client.get(reverse("organizations")).content.decode()
        brand = User.objects.get(email=email).agent.brand
        for org in Organization.objects.exclude(brand=brand):
            assert org.name not in organizations, (email, org.name)
    assert "Tejo &amp; Associados" in queues["joao@webplug.example"]
    assert "Bałtyk Media" in queues["sofia@meetwave.example"]
    for email, page in queues.items():
        others = Case.objects.exclude(brand__agents__user__email=email).exclude(brand=None)
        for reference in others.values_list("reference", flat=True):
            assert reference not in page, (email, reference)
