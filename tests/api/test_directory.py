"""Organizations, contacts, plans and agents: agents see all, customers their own."""

from supportdesk.plans.models import SlaTarget
from tests.factories import make_plan


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    return [o["slug"] for o in (body["items"] if isinstance(body, dict) else body)]


def test_organizations_agents_see_all_customers_their_own(world, api):
    assert slugs(api(world.agent).get("/organizations")) == ["cliente-b", "outra"]
    assert slugs(api(world.member.user).get("/organizations")) == ["cliente-b"]
    mine = api(world.member.user).get("/organizations/cliente-b").json()
    assert mine["plan"] == "priority"
    assert mine["contract"]["start"] == "2020-01-01"
    assert api(world.outsider.user).get("/organizations/cliente-b").status_code == 404
    assert api(world.agent).get("/organizations/no-such-org").status_code == 404


def test_contacts_are_for_administrators_members_see_themselves(world, api):
    def names(user, **params) -> list[str]:
        response = api(user).get("/contacts", **params)
        assert response.status_code == 200
        return [c["name"] for c in response.json()["items"]]

    assert names(world.agent) == ["Ana Silva", "Bruno Reis", "Olga Nowak"]
    assert names(world.agent, organization="outra") == ["Olga Nowak"]
    assert names(world.admin.user) == ["Ana Silva", "Bruno Reis"]
    assert names(world.member.user) == ["Bruno Reis"]
    ana = api(world.admin.user).get(f"/contacts/{world.admin.pk}").json()
    assert (ana["email"], ana["phone"], ana["role"]) == (
        "ana@cliente-b.pt",
        "+351912345678",
        "admin",
    )
    assert api(world.member.user).get(f"/contacts/{world.admin.pk}").status_code == 404
    assert api(world.outsider.user).get(f"/contacts/{world.member.pk}").status_code == 404


def test_plans_customers_see_the_plan_they_bought(world, api):
    make_plan(world.calendar, slug="basic", name="Basic")

    assert slugs(api(world.agent).get("/plans")) == ["basic", "priority"]
    assert slugs(api(world.member.user).get("/plans")) == ["priority"]
    assert api(world.member.user).get("/plans/basic").status_code == 404
    plan = api(world.member.user).get("/plans/priority").json()
    assert plan["calendar"] == {"slug": "pt-lisbon", "timezone": "Europe/Lisbon", "country": "PT"}
    assert plan["breach_credit_hours"] == "1.00"
    assert len(plan["targets"]) == SlaTarget.objects.filter(plan=world.plan).count()
    assert plan["targets"][0]["rule"] == "First response, within 4h, business hours"
    assert plan["targets"][0]["within_seconds"] == 4 * 3600


def test_agents_are_listed_for_agents_only(world, api):
    response = api(world.agent).get("/agents")

    assert response.status_code == 200
    (joao,) = response.json()["items"]
    assert (joao["email"], joao["level"], joao["teams"]) == (
        "joao@webplug.example",
        "L1",
        ["geral"],
    )
    assert api(world.agent).get("/agents", team="nope").json()["count"] == 0
    assert api(world.admin.user).get("/agents").status_code == 403


def test_me_says_who_is_calling(world, api):
    assert api(world.agent).get("/me").json() == {
        "email": "joao@webplug.example",
        "name": "João Costa",
        "agent": True,
        "level": "L1",
        "organization": None,
        "role": None,
    }
    assert api(world.admin.user).get("/me").json()["role"] == "admin"
