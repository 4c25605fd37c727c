"""Where a case names its device: the portal's new-case form (the customer's own devices only),
the agent's case page, the API and ``show_case --json``."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from supportdesk.tickets import services
from supportdesk.tickets.choices import Channel, Coverage
from supportdesk.tickets.models import Case
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_case(client: Client, asset) -> object:
    return client.post(
        reverse("new_case"),
        {
            "subject": "Drukarka nie drukuje",
            "description": "Zacina papier.",
            "priority": "P3",
            "asset": asset.pk,
        },
    )


def test_the_portal_offers_the_organizations_devices_and_names_one(techopieka):
    client = signed_in(techopieka.zofia.user)
    page = client.get(reverse("new_case")).content.decode()
    assert "SN-4410 · Lenovo ThinkPad T14" in page
    assert "SN-7702 · HP LaserJet Pro (not under contract)" in page
    assert "SN-0001" not in page
    response = new_case(client, techopieka.printer)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.asset == techopieka.printer
    assert (case.covered, case.coverage_code) == (False, Coverage.DEVICE_NOT_COVERED)
    page = client.get(response["Location"]).content.decode()
    assert "SN-7702" in page and "not covered by the contract" in page


def test_a_customer_cannot_name_another_organizations_device(techopieka):
    client = signed_in(techopieka.world.admin.user)  # Cliente B's administrator
    assert "SN-4410" not in client.get(reverse("new_case")).content.decode()
    response = new_case(client, techopieka.laptop)
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_an_organization_without_devices_is_not_asked_for_one(techopieka):
    client = signed_in(techopieka.world.outsider.user)  # Outra has no devices on file
    page = client.get(reverse("new_case")).content.decode()
    assert 'name="asset"' not in page


def test_an_agent_sets_the_device_on_the_case_page(techopieka):
    case = services.open_case(
        subject="Laptop", body="?", channel=Channel.PHONE, contact=techopieka.zofia
    )
    client = signed_in(techopieka.agent)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'name="asset"' in page and "SN-0001" not in page
    form = {"status": case.status, "priority": case.priority, "level": case.level}
    foreign = client.post(
        reverse("case_update", args=[case.pk]), {**form, "asset": techopieka.foreign.pk}
    )
    assert foreign.status_code == 302
    case.refresh_from_db()
    assert case.asset is None and case.covered
    client.post(reverse("case_update", args=[case.pk]), {**form, "asset": techopieka.printer.pk})
    case.refresh_from_db()
    assert case.asset == techopieka.printer and not case.covered
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Device changed: — → SN-7702" in page
    assert "Coverage changed: device SN-7702 is not covered by the contract" in page
    client.post(reverse("case_update", args=[case.pk]), {**form, "asset": ""})
    case.refresh_from_db()
    assert case.asset is None and case.covered


def test_the_api_and_show_case_name_the_device(techopieka):
    case = services.open_case(
        subject="Laptop",
        body="?",
        channel=Channel.PHONE,
        contact=techopieka.zofia,
        asset=techopieka.laptop,
        reference="TO-1",
    )
    for user in (techopieka.agent, techopieka.zofia.user):
        response = Api(user).get(f"/cases/{case.pk}")
        assert response.status_code == 200 and response.json()["asset"] == "SN-4410"
    listed = Api(techopieka.agent).get("/cases").json()["items"]
    assert [c["asset"] for c in listed] == ["SN-4410"]
    out = StringIO()
    call_command("show_case", "TO-1", "--json", stdout=out)
    assert json.loads(out.getvalue())["asset"] == "SN-4410"
