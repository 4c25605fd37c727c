"""A customer answers a resolved case (solved: it closes; still a problem: it opens again) and
continues a closed one with a follow-up that names it."""

from django.test import Client

from supportdesk.tickets import services
from supportdesk.tickets.choices import Channel, EventKind, Status
from tests.factories import World


def resolved_case(world: World):
    case = services.open_case(
        subject="VPN drops", body="Every hour.", channel=Channel.WEB, contact=world.member
    )
    services.change_status(case, Status.RESOLVED, actor=world.agent)
    return case


def customer(world: World) -> Client:
    client = Client()
    client.force_login(world.member.user)
    return client


def test_solved_closes_the_case(world: World):
    case = resolved_case(world)
    client = customer(world)
    assert "Is your problem solved?" in client.get(f"/cases/{case.pk}/").content.decode()
    client.post(f"/cases/{case.pk}/verdict", {"verdict": "solved"})
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    last = case.events.filter(kind=EventKind.STATUS).last()
    assert last.actor == world.member.user


def test_still_a_problem_opens_it_again(world: World):
    case = resolved_case(world)
    customer(world).post(f"/cases/{case.pk}/verdict", {"verdict": "still"})
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_only_a_resolved_case_takes_a_verdict_and_only_from_its_people(world: World):
    case = resolved_case(world)
    stranger = Client()
    stranger.force_login(world.outsider.user)
    assert stranger.post(f"/cases/{case.pk}/verdict", {"verdict": "solved"}).status_code == 404
    services.change_status(case, Status.OPEN, actor=world.agent)
    customer(world).post(f"/cases/{case.pk}/verdict", {"verdict": "solved"})
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_a_closed_case_offers_a_follow_up_that_names_it(world: World):
    case = resolved_case(world)
    services.change_status(case, Status.CLOSED, actor=world.agent)
    client = customer(world)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/new/?follow_up={case.pk}" in page
    form = client.get(f"/cases/new/?follow_up={case.pk}").content.decode()
    assert f"Follow-up to {case.label}: VPN drops" in form
