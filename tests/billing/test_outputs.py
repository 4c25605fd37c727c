"""What users get: the command's JSON, CSV and PDF, the statement pages, the case-page include."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from supportdesk.billing import context as billing_context
from supportdesk.billing import services
from supportdesk.billing.choices import PackKind
from supportdesk.billing.models import HourPack, TimeEntry
from supportdesk.pdf import FONT_DIRS, transliterate
from tests.billing.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(bw, work):
    HourPack.objects.create(
        organization=bw.org, kind=PackKind.SINGLE, hours=Decimal("0.5"), purchased=date(2026, 1, 5)
    )
    work("2026-03-02 17:50", "2026-03-02 18:10")
    work("2026-03-03 10:00", "2026-03-03 10:20", billable=False)
    return bw


def run(*args) -> str:
    out = io.StringIO()
    call_command("statement", *args, stdout=out)
    return out.getvalue()


def test_json_has_exactly_the_issues_shape(march):
    data = json.loads(run("cliente-b", "--month", "2026-03", "--json"))
    assert data == {
        "org": "cliente-b",
        "month": "2026-03",
        "currency": "EUR",
        "entries": [
            {
                "case": "WP-1",
                "by": "joao@webplug.example",
                "start": "2026-03-02T17:50:00+00:00",
                "end": "2026-03-02T18:10:00+00:00",
                "in_hours_minutes": 10,
                "out_of_hours_minutes": 10,
                "billed_in_hours_minutes": 15,
                "billed_out_of_hours_minutes": 30,
                "billable": True,
                "long_entry": False,
            },
            {
                "case": "WP-1",
                "by": "joao@webplug.example",
                "start": "2026-03-03T10:00:00+00:00",
                "end": "2026-03-03T10:20:00+00:00",
                "in_hours_minutes": 20,
                "out_of_hours_minutes": 0,
                "billed_in_hours_minutes": 0,
                "billed_out_of_hours_minutes": 0,
                "billable": False,
                "long_entry": False,
            },
        ],
        "drawn": {"monthly": 0, "single": 30, "credit": 0},
        "overage": {"in_hours_minutes": 0, "out_of_hours_minutes": 15, "amount": "22.50"},
        "balances": {
            "single": [{"purchased": "2026-01-05", "expires": "2027-01-05", "hours_left": "0.00"}],
            "credit_hours": "0.00",
        },
        "lapsed": {"monthly_hours": "0.00", "single": []},
    }


def test_csv_carries_the_same_statement(march):
    rows = list(csv.reader(io.StringIO(run("cliente-b", "--month", "2026-03", "--csv"))))
    assert rows[1] == ["statement", "cliente-b", "2026-03", "EUR", "Priority"]
    entries = [r for r in rows if r[0] == "entry"]
    assert entries[0][1:] == [
        "WP-1",
        "joao@webplug.example",
        "2026-03-02T17:50:00+00:00",
        "2026-03-02T18:10:00+00:00",
        "10",
        "10",
        "15",
        "30",
        "true",
        "false",
    ]
    assert ["overage", "0", "15", "0.00", "22.50", "22.50"] in rows
    assert ["drawn", "0", "30", "0"] in rows


def test_pdf_embeds_a_unicode_font_and_renders_polish_and_portuguese(march, tmp_path):
    if not any((folder / "DejaVuSans.ttf").exists() for folder in FONT_DIRS):
        pytest.skip("DejaVu Sans is not installed (Debian fonts-dejavu-core): no font to embed")
    march.org.name = "Łódź Serviços e Soluções, Lda. — zażółć gęślą jaźń"
    march.org.save()
    target = tmp_path / "statement.pdf"
    run("cliente-b", "--month", "2026-03", "--pdf", str(target))
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF-") and b"DejaVu" in pdf
    # Text is drawn as glyph ids of the embedded subset; its ToUnicode map names each letter.
    for letter in "Łżęąćçõ":
        assert f"<{ord(letter):04X}>".encode() in pdf, letter


def test_without_a_font_letters_are_transliterated_not_lost():
    assert transliterate("Łódź, ação, gęślą") == "Lódz, ação, gesla"


def test_unknown_organization_and_bad_month_are_clear(march):
    with pytest.raises(CommandError, match="No organization"):
        run("nobody", "--month", "2026-03")
    with pytest.raises(CommandError, match="bad_month"):
        run("cliente-b", "--month", "2026-13")


def test_plain_summary(march):
    text = run("cliente-b", "--month", "2026-03")
    assert "0:15" in text and "22.50 EUR" in text


# ---------------------------------------------------------------------------- pages


def test_agents_see_any_statement_and_download_it(march, client):
    client.force_login(march.agent)
    page = client.get(reverse("billing:org_statement", args=["cliente-b"]), {"month": "2026-03"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "22.50" in body and "WP-1" in body
    csv_url = reverse("billing:org_statement_file", args=["cliente-b", "2026-03", "csv"])
    pdf_url = reverse("billing:org_statement_file", args=["cliente-b", "2026-03", "pdf"])
    assert csv_url in body and pdf_url in body
    assert client.get(csv_url)["Content-Type"].startswith("text/csv")
    assert client.get(pdf_url).content.startswith(b"%PDF-")


def test_customer_admins_see_their_own_statement_members_get_404(march, client):
    client.force_login(march.admin.user)
    page = client.get(reverse("billing:my_statement"), {"month": "2026-03"})
    assert page.status_code == 200 and "22.50" in page.content.decode()
    url = reverse("billing:my_statement_file", args=["2026-03", "pdf"])
    assert client.get(url).content.startswith(b"%PDF-")
    assert client.get(reverse("billing:org_statement", args=["cliente-b"])).status_code == 404
    client.force_login(march.member.user)
    assert client.get(reverse("billing:my_statement")).status_code == 404
    assert (
        client.get(reverse("billing:my_statement_file", args=["2026-03", "csv"])).status_code == 404
    )


def test_an_outsider_admin_sees_only_their_own_organization(march, client):
    client.force_login(march.outsider.user)
    page = client.get(reverse("billing:my_statement"), {"month": "2026-03"})
    assert page.status_code == 200
    assert "WP-1" not in page.content.decode() and "Outra" in page.content.decode()


def test_timer_and_typed_entry_from_the_case_page(bw, case, client):
    client.force_login(bw.agent)
    client.post(reverse("billing:timer_start", args=[case.pk]), {"billable": "on"})
    entry = TimeEntry.objects.get()
    assert entry.end is None and entry.billable
    client.post(reverse("billing:timer_stop", args=[case.pk]))
    entry.refresh_from_db()
    assert entry.end is not None
    entry.delete()
    bw.agent.timezone = "Europe/Warsaw"
    bw.agent.save()
    response = client.post(
        reverse("billing:entry_add", args=[case.pk]),
        {"start": "2026-03-02T11:00", "end": "2026-03-02T12:30", "note": "Troca de disco"},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert entry.start == at("2026-03-02 10:00")  # typed in the agent's zone
    assert entry.billable is False and entry.note == "Troca de disco"  # unchecked box
    response = client.post(
        reverse("billing:entry_add", args=[case.pk]),
        {"start": "2026-03-02T11:30", "end": "2026-03-02T11:45", "billable": "on"},
        follow=True,
    )
    assert "overlaps" in response.content.decode()


def test_customers_cannot_record_time(bw, case, client):
    client.force_login(bw.admin.user)
    assert client.post(reverse("billing:timer_start", args=[case.pk])).status_code == 404


def test_case_time_include_renders(bw, case, work):
    work("2026-03-02 10:00", "2026-03-02 10:45")
    services.start_timer(case, bw.agent, at=at("2026-03-03 09:00"))
    request = RequestFactory().get("/")
    request.user = bw.agent
    html = render_to_string(
        "billing/_case_time.html",
        {"case_time": billing_context.case_time(case, bw.agent), "user": bw.agent},
        request=request,
    )
    assert "Stop timer" in html and "0:45" in html


def test_balances_include_renders(march):
    request = RequestFactory().get("/")
    request.user = march.agent
    html = render_to_string(
        "billing/_balances.html",
        {"balances": billing_context.balances(march.org, date(2026, 3, 1)), "user": march.agent},
        request=request,
    )
    assert "Single pack of" in html and reverse("billing:org_statement", args=["cliente-b"]) in html
