"""Details a person stumbles on: unique ids on the case page, a met clock that is not also
"paused", months closed only once over, a statement page for an organization without a
contract, and a favicon."""

import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.accounts.models import Organization
from supportdesk.billing.periods import previous_month
from supportdesk.billing.statement import Months
from supportdesk.tickets import services
from tests.tickets.test_clocks import open_email_case, utc


def ids(page: str) -> Counter:
    return Counter(re.findall(r'\sid="([^"]+)"', page))


@pytest.mark.django_db
def test_case_page_ids_are_unique(world, client):
    case = open_email_case(world)
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "id_billable" in page  # the forms to time work are on the page
    assert [name for name, n in ids(page).items() if n > 1] == []


@pytest.mark.django_db
def test_a_met_restoration_clock_does_not_say_paused(world, client):
    case = open_email_case(world)
    services.change_status(case, "waiting", actor=world.agent, at=utc(2026, 3, 9, 10, 0))
    services.change_status(case, "resolved", actor=world.agent, at=utc(2026, 3, 9, 16, 0))
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "before its target" in page
    assert "paused since" not in page


@pytest.mark.django_db
def test_close_the_month_only_once_it_is_over(world, client):
    client.force_login(world.agent)
    url = reverse("billing:org_statement", args=[world.org.slug])
    this_month = Months(world.org).month_at(timezone.now())
    current = client.get(url).content.decode()
    assert "Close the month" not in current
    last = client.get(url, {"month": f"{previous_month(this_month):%Y-%m}"}).content.decode()
    assert "Close the month" in last


@pytest.mark.django_db
def test_statement_of_an_organization_without_a_contract_explains(world, client):
    Organization.objects.create(slug="sem-contrato", name="Sem Contrato, Lda.")
    client.force_login(world.agent)
    response = client.get(reverse("billing:org_statement", args=["sem-contrato"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "has no contract" in page and "Once a contract is in force" in page
    # A month that cannot be read is still a bad request.
    bad = client.get(reverse("billing:org_statement", args=[world.org.slug]), {"month": "x"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_favicon(world, client):
    client.force_login(world.agent)
    page = client.get(reverse("queue")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon[^"]*\.svg"', page)
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")
