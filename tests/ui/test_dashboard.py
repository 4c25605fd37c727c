"""The SLA dashboard: per plan and month, the table, its CSV and the daily breaches chart."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from supportdesk.tickets import dashboard, services


@pytest.fixture
def march(world):
    """Three cases in March 2026 on the Priority plan: one answered in 1 h, one late, one open."""
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    quick = services.open_case(
        subject="Rápido", body="!", channel="web", contact=world.admin, at=monday
    )
    services.post_reply(quick, author=world.agent, body="ok", at=monday.replace(hour=10))
    services.open_case(subject="Lento", body="!", channel="web", contact=world.admin, at=monday)
    services.sweep(now=datetime(2026, 3, 10, tzinfo=UTC))
    services.open_case(
        subject="Outro mês", body="!", channel="web", contact=world.admin,
        at=datetime(2026, 4, 1, 9, tzinfo=UTC),
    )  # fmt: skip
    return world


@pytest.mark.django_db
def test_report_counts_cases_clocks_and_percentiles(march):
    report = dashboard.build(date(2026, 3, 1), UTC, march.agent)
    (row,) = report.rows
    assert (row.name, row.cases) == ("Priority", 2)
    # quick: first response met, restoration breached; slow: both breached.
    assert (row.met, row.breached, row.running) == (1, 3, 0)
    assert row.met_percent == 25.0 and row.breached_percent == 75.0
    assert row.first_response[50].total_seconds() == 3600
    assert report.breaches["Priority"][1] == 1  # 2 March: the slow first response
    assert report.total_breaches == 3


@pytest.mark.django_db
def test_dashboard_page_renders_table_and_svg_chart(march, client):
    client.force_login(march.agent)
    page = client.get(reverse("sla_dashboard") + "?month=2026-03").content.decode()
    assert "SLA dashboard: March 2026" in page
    assert "25.0 %" in page and "75.0 %" in page
    assert "<svg" in page and "Guaranteed clocks breached per day" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]


@pytest.mark.django_db
def test_dashboard_numbers_follow_the_locale(march, client):
    client.force_login(march.agent)
    page = client.get(
        reverse("sla_dashboard") + "?month=2026-03", HTTP_ACCEPT_LANGUAGE="pl"
    ).content.decode()
    assert "25,0 %" in page and "Panel SLA: marzec 2026" in page.replace("Marzec", "marzec")


@pytest.mark.django_db
def test_csv_export_has_the_same_table(march, client):
    client.force_login(march.agent)
    response = client.get(reverse("sla_dashboard_csv") + "?month=2026-03")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == dashboard.CSV_COLUMNS
    assert rows[1][:9] == ["Priority", "2026-03", "2", "4", "1", "3", "0", "25.0", "75.0"]
    assert rows[1][9] == "60"


@pytest.mark.django_db
def test_an_empty_month_says_so(world, client):
    client.force_login(world.agent)
    page = client.get(reverse("sla_dashboard") + "?month=1999-01").content.decode()
    assert "No cases this month." in page


@pytest.mark.django_db
def test_customers_cannot_see_the_dashboard(world, client):
    client.force_login(world.admin.user)
    assert client.get(reverse("sla_dashboard")).status_code == 404
    assert client.get(reverse("sla_dashboard_csv")).status_code == 404
