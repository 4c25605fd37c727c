"""The status page and its feed: each reader sees the public components and those of their own
organization, and only those; the page is cheap to ask again (ETag, Cache-Control)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from supportdesk.status import services
from supportdesk.status.choices import Audience, ComponentStatus, Impact, IncidentStatus
from tests.factories import World, make_plan
from tests.status.conftest import SINCE, Status

PASSWORD = "secret-pass-123"
AT = SINCE + timedelta(days=3, hours=2)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def pbx_down(world: World, status: Status):
    return services.open_incident(
        name="PBX unreachable",
        names={"pt": "Central telefónica inacessível"},
        impact=Impact.MAJOR,
        status=IncidentStatus.INVESTIGATING,
        body="We are looking into it.",
        bodies={"pt": "Estamos a analisar."},
        components={"pbx-cliente-b": ComponentStatus.DEGRADED},
        author=world.agent,
        at=AT,
    )


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
@pytest.mark.parametrize(
    ("who", "sees_pbx"),
    [("anonymous", False), ("admin", True), ("member", True), ("outsider", False), ("agent", True)],
)
def test_each_reader_sees_public_components_and_only_their_organizations(
    world: World, status: Status, pbx_down, who: str, sees_pbx: bool
):
    user = {
        "anonymous": None,
        "admin": world.admin.user,
        "member": world.member.user,
        "outsider": world.outsider.user,
        "agent": world.agent,
    }[who]
    page = client_for(user).get("/status/").content.decode()
    assert "SIP trunk Lisbon" in page
    assert ("PBX Cliente B" in page) is sees_pbx
    assert ("We are looking into it." in page) is sees_pbx
    assert ("PBX unreachable" in page) is sees_pbx
    # The incident is someone else's: the page is all green for those who cannot see it.
    assert ("All systems operational" in page) is not sees_pbx


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_customer_reads_the_page_in_portuguese(world: World, status: Status, pbx_down):
    client = client_for(world.admin.user)
    page = client.get("/status/", headers={"accept-language": "pt"}).content.decode()
    assert "Central telefónica Cliente B" in page
    assert "Tronco SIP Lisboa" in page
    assert "Estamos a analisar." in page
    assert "Voz" in page
    # The day of the incident's bar is the worst of the day, with a tooltip.
    assert 'class="s-degraded_performance"' in page


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_page_has_no_inline_script(world: World, status: Status):
    page = client_for(None).get("/status/").content.decode()
    assert "<script>" not in page and " style=" not in page


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_same_page_again_is_a_304_until_something_changes(world: World, status: Status):
    client = client_for(None)
    first = client.get("/status/")
    assert first.status_code == 200
    assert "max-age=30" in first["Cache-Control"]
    feed = client.get("/status/history.atom")
    assert "public" in feed["Cache-Control"] and not feed.cookies
    etag = first["ETag"]
    again = client.get("/status/", headers={"if-none-match": etag})
    assert again.status_code == 304
    services.set_component_status(status.trunk, ComponentStatus.PARTIAL_OUTAGE, actor=world.agent)
    changed = client.get("/status/", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Partial system outage" in changed.content.decode()


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_signed_in_page_is_private_and_differs_from_the_anonymous_one(world: World, status: Status):
    anonymous = client_for(None).get("/status/")
    customer = client_for(world.admin.user).get("/status/")
    assert "private" in customer["Cache-Control"]
    assert customer["ETag"] != anonymous["ETag"]
    assert "Cookie" in customer["Vary"]


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_feed_lists_the_incidents_the_reader_may_see(world: World, status: Status, pbx_down):
    anonymous = client_for(None).get("/status/history.atom")
    assert anonymous["Content-Type"].startswith("application/atom+xml")
    assert b"<feed" in anonymous.content and b"PBX unreachable" not in anonymous.content
    customer = client_for(world.admin.user).get("/status/history.atom")
    assert b"PBX unreachable" in customer.content
    assert b"We are looking into it." in customer.content
    outsider = client_for(world.outsider.user).get("/status/history.atom")
    assert b"PBX unreachable" not in outsider.content
    again = client_for(world.admin.user).get(
        "/status/history.atom", headers={"if-none-match": customer["ETag"]}
    )
    assert again.status_code == 304


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_a_plan_component_is_shown_to_customers_of_the_plan_in_force(world: World, status: Status):
    gold = make_plan(world.calendar, slug="gold", name="Gold")
    services.save_component(
        "priority-portal",
        name="Priority portal",
        names={},
        audience=Audience.PLANS,
        plans=[world.plan],
    )
    services.save_component(
        "gold-line", name="Gold line", names={}, audience=Audience.PLANS, plans=[gold]
    )
    for user in (world.admin.user, world.outsider.user):
        page = client_for(user).get("/status/").content.decode()
        assert "Priority portal" in page and "Gold line" not in page
    page = client_for(world.agent).get("/status/").content.decode()
    assert "Priority portal" in page and "Gold line" in page
    assert "Priority portal" not in client_for(None).get("/status/").content.decode()


@pytest.mark.django_db
@time_machine.travel(AT + timedelta(hours=1), tick=False)
def test_page_and_summary_do_not_grow_in_queries_with_components_and_incidents(
    world: World, status: Status, pbx_down
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.admin.user)

    def queries() -> list[int]:
        counts = []
        for path in ("/status/", "/status/api/v2/summary.json"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            counts.append(len(captured))
        return counts

    before = queries()
    for n in range(5):
        services.save_component(f"extra-{n}", name=f"Extra {n}", names={}, group=status.pbx.group)
        services.open_incident(
            name=f"Incident {n}",
            impact=Impact.MINOR,
            status=IncidentStatus.INVESTIGATING,
            body="Looking.",
            components={f"extra-{n}": ComponentStatus.DEGRADED},
            author=world.agent,
        )
    assert queries() == before


@pytest.mark.django_db
@time_machine.travel(AT, tick=False)
def test_a_visitor_reads_the_page_in_polish(status: Status):
    page = client_for(None).get("/status/", headers={"accept-language": "pl"}).content.decode()
    assert "Stan usług" in page and "Wszystkie systemy działają" in page and "Głos" in page
