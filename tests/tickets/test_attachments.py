"""Attachments are the case's, whatever channel brought them: a file that arrives by email is
shown on the case page to the agent and to the customer, downloads with its bytes and its name
whole (RFC 6266), from the pages and the API, and only to whoever may read its message."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from supportdesk.accounts.services import issue_token
from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.models import EmailAttachment
from supportdesk.tickets import services
from supportdesk.tickets.attachments import clean_name
from supportdesk.tickets.models import Attachment, Case

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "mail-corpus"
#: A real client's message with a PDF attached (flanker's test suite); it has no From or To.
CORPUS_PDF = CORPUS / "flanker" / "attached-pdf.eml"
SUPPORT = "support@webplug.example"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> Client:
    return Client(headers={"authorization": f"Bearer {issue_token(user, 'tests')}"})


def mail(*files: tuple[str, str, bytes], sender: str = "Ana Silva <ana@cliente-b.pt>") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, SUPPORT, "Faktura"
    msg["Message-ID"] = make_msgid(domain="cliente-b.pt")
    msg.set_content("W załączniku faktura.")
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def attachments_per_python(raw: bytes) -> dict[str, bytes]:
    """What the standard library reads as the message's attachments: the oracle."""
    parsed = message_from_bytes(raw, policy=policy.default)
    return {part.get_filename(): part.get_content() for part in parsed.iter_attachments()}


def downloaded(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def disposition(response) -> tuple[str | None, str | None]:
    """The download's disposition and file name, as a mail library reads the header (RFC 2231
    and RFC 6266 share the ``filename*`` form)."""
    header = EmailMessage()
    header["Content-Disposition"] = response["Content-Disposition"]
    return header.get_content_disposition(), header.get_filename()


def check_reaches_the_case(world, raw: bytes, name: str) -> Attachment:
    """The mail arrives through the real intake; agent and customer see and fetch the file."""
    expected = attachments_per_python(raw)[name]
    outcome = receive(raw, recipient=SUPPORT)
    case = Case.objects.get(pk=outcome.case)
    assert case.organization == world.org
    stored = Attachment.objects.get(case=case, name=name)
    assert stored.message.case_id == case.pk and stored.size == len(expected)
    assert EmailAttachment.objects.get(attachment=stored).filename == name

    web = reverse("attachment", args=[stored.pk])
    pages = {
        world.agent: reverse("case_detail", args=[case.pk]),
        world.admin.user: reverse("my_case", args=[case.pk]),
    }
    for user, page in pages.items():
        client = signed_in(user)
        html = client.get(page).content.decode()
        assert f'href="{web}"' in html and name in html
        response = client.get(web)
        assert downloaded(response) == expected
        assert disposition(response) == ("attachment", name)
        assert response["X-Content-Type-Options"] == "nosniff"

    for user in (world.agent, world.admin.user):
        detail = api(user).get(f"/api/cases/{case.pk}").json()
        [listed] = [a for m in detail["messages"] for a in m["attachments"] if a["name"] == name]
        assert listed["size"] == len(expected)
        response = api(user).get(listed["url"])
        assert downloaded(response) == expected
        assert disposition(response) == ("attachment", name)

    outsider = world.outsider.user
    assert signed_in(outsider).get(web).status_code == 404
    assert api(outsider).get(listed["url"]).status_code == 404
    assert signed_in(outsider).get(pages[world.admin.user]).status_code == 404
    return stored


@pytest.mark.django_db
def test_a_pdf_mailed_by_a_real_client_reaches_the_case(world):
    if not CORPUS_PDF.is_file():
        pytest.skip(f"mail corpus not found at {CORPUS}: the real client's message is not tested")
    headers = f"From: Ana Silva <ana@cliente-b.pt>\nTo: {SUPPORT}\n".encode()
    raw = headers + CORPUS_PDF.read_bytes()
    stored = check_reaches_the_case(world, raw, "test.pdf")
    assert stored.content_type == "application/pdf"
    assert "[Attached" not in stored.message.body  # listed beside the text, not inside it


@pytest.mark.django_db
def test_a_name_outside_ascii_downloads_whole(world):
    raw = mail(("faktura-Łódź.pdf", "application/pdf", b"%PDF-1.4 faktura\n%%EOF\n"))
    check_reaches_the_case(world, raw, "faktura-Łódź.pdf")


@pytest.mark.django_db
def test_an_internal_notes_file_is_not_offered_to_the_customer(world):
    case = services.open_case(
        subject="VPN", body="Sem acesso", channel="web", contact=world.admin, actor=world.admin.user
    )
    agent = signed_in(world.agent)
    for public, name in [(False, "internal.txt"), (True, "public.txt")]:
        upload = SimpleUploadedFile(name, name.encode(), content_type="text/plain")
        agent.post(
            reverse("case_reply", args=[case.pk]),
            {"body": name, "attachments": [upload], "public": "1" if public else "0"},
        )
    internal = Attachment.objects.get(name="internal.txt")
    public = Attachment.objects.get(name="public.txt")
    assert not internal.message.public and public.message.public

    customer = signed_in(world.admin.user)
    page = customer.get(reverse("my_case", args=[case.pk])).content.decode()
    assert "public.txt" in page and "internal.txt" not in page
    assert customer.get(reverse("attachment", args=[internal.pk])).status_code == 404
    assert downloaded(customer.get(reverse("attachment", args=[public.pk]))) == b"public.txt"

    detail = api(world.admin.user).get(f"/api/cases/{case.pk}").json()
    names = [a["name"] for m in detail["messages"] for a in m["attachments"]]
    assert names == ["public.txt"]
    note_url = f"/api/cases/{case.pk}/attachments/{internal.pk}"
    assert api(world.admin.user).get(note_url).status_code == 404
    assert downloaded(api(world.agent).get(note_url)) == b"internal.txt"
    assert downloaded(agent.get(reverse("attachment", args=[internal.pk]))) == b"internal.txt"


@pytest.mark.django_db
def test_a_file_is_reached_only_through_its_own_case(world):
    raw = mail(("a.txt", "text/plain", b"a"))
    first = Attachment.objects.get(case_id=receive(raw, recipient=SUPPORT).case)
    other = services.open_case(subject="B", body="b", channel="web", contact=world.admin)
    assert api(world.agent).get(f"/api/cases/{other.pk}/attachments/{first.pk}").status_code == 404


@pytest.mark.django_db
def test_a_stored_name_keeps_no_path_and_no_hidden_characters(world, settings):
    raw = mail(
        ("../../etc/passwd", "text/plain", b"root:x:0:0"),
        ("C:\\Users\\ana\\relat\u00f3rio.pdf", "application/pdf", b"%PDF"),
        ("fak\u202etxt.exe", "application/octet-stream", b"MZ"),
    )
    case_id = receive(raw, recipient=SUPPORT).case
    names = list(Attachment.objects.filter(case_id=case_id).values_list("name", flat=True))
    assert names == ["passwd", "relatório.pdf", "faktxt.exe"]
    assert sorted(EmailAttachment.objects.values_list("filename", flat=True)) == sorted(names)
    media = Path(settings.MEDIA_ROOT).resolve()
    for stored in Attachment.objects.all():
        path = Path(stored.file.path).resolve()
        assert path.is_relative_to(media / "attachments") and path.name != "etc"

    upload = SimpleUploadedFile("../../etc/passwd", b"x", content_type="text/plain")
    case = services.open_case(subject="VPN", body="!", channel="web", contact=world.admin)
    signed_in(world.admin.user).post(
        reverse("my_case", args=[case.pk]), {"body": "log", "attachments": [upload]}
    )
    assert Attachment.objects.get(case=case).name == "passwd"


@pytest.mark.parametrize(
    "given, stored",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/", "attachment"),
        ("..", "attachment"),
        ("a\r\nBcc: x@y.example.txt", "aBcc: x@y.example.txt"),
        ("\x00\x1b[31mred.txt", "[31mred.txt"),
        (" faktura-Łódź.pdf ", "faktura-Łódź.pdf"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_clean_name(given, stored):
    assert clean_name(given) == stored


@pytest.mark.django_db(transaction=True)
def test_blobs_stored_before_become_the_cases_files(world):
    """Mail attachments kept in the database before this release move to files; none is lost."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    case = services.open_case(subject="Log", body="see log", channel="email", contact=world.admin)
    message = case.messages.get()
    before = [("email_channel", "0003_emailattachment_attachment")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        email = apps.get_model("email_channel", "InboundEmail").objects.create(
            source="pipe",
            received_at=case.received_at,
            sha256="0" * 64,
            size=10,
            raw=b"raw",
            status="new",
            case_id=case.pk,
            case_message_id=message.pk,
        )
        parts = apps.get_model("email_channel", "EmailAttachment").objects
        blob = bytes(range(256)) * 4
        common = {"email": email, "content_type": "application/pdf", "sha256": "0" * 64}
        parts.create(filename="faktura-Łódź.pdf", size=len(blob), data=blob, **common)
        parts.create(filename="big.bin", size=30 << 20, data=None, **common)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    kept = EmailAttachment.objects.get(filename="faktura-Łódź.pdf").attachment
    assert (kept.case_id, kept.message_id, kept.name) == (case.pk, message.pk, "faktura-Łódź.pdf")
    assert kept.file.read() == blob and kept.size == len(blob)
    assert EmailAttachment.objects.get(filename="big.bin").omitted
    response = signed_in(world.admin.user).get(reverse("attachment", args=[kept.pk]))
    assert downloaded(response) == blob
