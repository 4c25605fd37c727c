"""Bulk changes from the queue, canned replies, "send and set status", the menu's badge of
waiting chats and a history that names people."""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse

from supportdesk.accounts.services import save_agent
from supportdesk.channels.chat.choices import ConversationState
from supportdesk.channels.chat.models import Conversation
from supportdesk.desk import services as desk
from supportdesk.desk.models import Macro
from supportdesk.tickets import services
from supportdesk.tickets.models import Case, Event, Message
from tests.factories import make_two_brands

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_cached_counts():
    cache.clear()
    yield
    cache.clear()


def open_case(contact, subject="Impressora"):
    return services.open_case(subject=subject, body="Não imprime.", channel="web", contact=contact)


# -------------------------------------------------------------------------------- bulk


@pytest.mark.django_db
def test_bulk_assign_changes_each_case_and_names_the_one_that_refuses(world, client):
    first, second, closed = (open_case(world.member, f"Caso {n}") for n in range(3))
    services.change_status(closed, "closed", actor=world.agent)
    rita = save_agent(name="Rita Lopes", email="rita@webplug.example", level="L1").user
    client.force_login(world.agent)
    response = client.post(
        reverse("queue_bulk"),
        {
            "case": [first.pk, second.pk, closed.pk],
            "assignee": rita.pk,
            "filters": "priority=P3",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("queue") + "?priority=P3"
    said = [str(m) for m in response.context["messages"]]
    assert "2 cases updated." in said
    assert f"{closed.label} not changed: Case {closed.label} is closed." in said
    assert set(Case.objects.filter(assignee=rita).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert Event.objects.filter(kind="assignee", actor=world.agent).count() == 2
    assert Case.objects.get(pk=closed.pk).assignee is None


@pytest.mark.django_db
def test_bulk_status_goes_through_the_case_service_one_case_at_a_time(world):
    first, closed = open_case(world.member), open_case(world.member)
    services.change_status(closed, "closed", actor=world.agent)
    result = desk.update_cases(
        Case.objects.order_by("pk"),
        services.CaseChanges(status="resolved"),
        actor=world.agent,
        at=AT,
    )
    assert [c.pk for c in result.changed] == [first.pk]
    assert [(c.pk, reason) for c, reason in result.refused] == [
        (closed.pk, f"Case {closed.label} is closed.")
    ]
    first.refresh_from_db()
    assert first.status == "resolved"
    assert first.clocks.get(metric="restoration").met_at == AT  # the service's own effects


@pytest.mark.django_db
def test_bulk_reaches_only_the_agents_brand(world, client):
    brands = make_two_brands(world)
    theirs = open_case(brands.mw_admin, "Kamera")
    client.force_login(world.agent)
    client.post(reverse("queue_bulk"), {"case": [theirs.pk], "status": "resolved"})
    theirs.refresh_from_db()
    assert theirs.status == "new"


@pytest.mark.django_db
def test_bulk_without_a_change_or_cases_says_so(world, client):
    case = open_case(world.member)
    client.force_login(world.agent)
    response = client.post(reverse("queue_bulk"), {"case": [case.pk]}, follow=True)
    assert "Choose an assignee, a team or a status to set." in response.content.decode()
    response = client.post(reverse("queue_bulk"), {"status": "open"}, follow=True)
    assert "Select at least one case." in response.content.decode()


# ------------------------------------------------------------------------- canned replies


@pytest.mark.django_db
def test_macro_variables_are_filled_in_and_nothing_else_is_rendered(world, client, settings):
    case = open_case(world.member)
    macro = desk.save_macro(
        None,
        name="Recebido",
        body=(
            "Olá {{ requester.name }}, o caso {{case.reference}} está connosco. "
            "{{ settings.SECRET_KEY }} {% debug %} {{ agent.name }}"
        ),
        status="waiting",
        actor=world.agent,
    )
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk]))
    inserted = page.context["macros"][0]["body"]
    assert inserted == (
        f"Olá Bruno Reis, o caso {case.label} está connosco. "
        "{{ settings.SECRET_KEY }} {% debug %} João Costa"
    )
    assert settings.SECRET_KEY not in page.content.decode()
    # Without JavaScript, choosing it fills the reply box and the status to send with.
    filled = client.get(reverse("case_detail", args=[case.pk]), {"macro": macro.pk})
    form = filled.context["reply_form"]
    assert form.initial == {"body": inserted, "status": "waiting"}
    assert "Olá Bruno Reis" in filled.content.decode()


@pytest.mark.django_db
def test_macros_are_the_brands_own(world, client):
    brands = make_two_brands(world)
    client.force_login(world.agent)
    response = client.post(
        reverse("macro_new"), {"name": "Obrigado", "body": "Obrigado!", "status": "resolved"}
    )
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert macro.brand == brands.webplug and macro.updated_by == world.agent
    assert "Obrigado" in client.get(reverse("macros")).content.decode()
    client.force_login(brands.mw_agent)
    assert "Obrigado" not in client.get(reverse("macros")).content.decode()
    assert client.post(reverse("macro_delete", args=[macro.pk])).status_code == 404
    client.force_login(world.agent)
    assert client.post(reverse("macro_delete", args=[macro.pk])).status_code == 302
    assert not Macro.objects.exists()


# -------------------------------------------------------------------- send and set status


@pytest.mark.django_db
def test_send_and_set_status_is_one_reply_and_one_status_change(world, client):
    case = open_case(world.member)
    services.change_status(case, "open", actor=world.agent)
    before = Event.objects.filter(case=case).count()
    client.force_login(world.agent)
    response = client.post(
        reverse("case_reply", args=[case.pk]),
        {"public": "1", "body": "Resolvido: troque o toner.", "status": "resolved"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved"
    assert Message.objects.filter(case=case, kind="agent").count() == 1
    new = list(Event.objects.filter(case=case).order_by("id")[before:])
    kinds = [e.kind for e in new]
    assert kinds.count("message") == 1 and kinds.count("status") == 1
    status = next(e for e in new if e.kind == "status")
    assert (status.before, status.after, status.actor) == ("open", "resolved", world.agent)
    assert "clock_met" in kinds  # first response, and restoration with the resolution
    assert case.outbox.count() == 1


@pytest.mark.django_db
def test_a_new_case_answered_and_set_waiting_changes_status_once(world):
    case = open_case(world.member)
    services.post_reply(case, author=world.agent, body="Pode enviar foto?", status="waiting")
    statuses = list(case.events.filter(kind="status").values_list("before", "after"))
    assert statuses == [("new", "waiting")]


# ------------------------------------------------------------------------ menu and history


@pytest.mark.django_db
def test_menu_shows_the_knowledge_base_and_waiting_chats_with_a_count(
    world, client, django_assert_max_num_queries
):
    brands = make_two_brands(world)
    for contact in (world.admin, world.member, brands.mw_admin):
        case = open_case(contact)
        Conversation.objects.create(
            user=contact.user,
            contact=contact,
            state=ConversationState.WAITING,
            case=case,
            created_at=AT,
            updated_at=AT,
            handed_off_at=AT,
        )
    client.force_login(world.agent)
    page = client.get(reverse("sla_dashboard")).content.decode()
    assert 'href="/desk/kb/"' in page and 'href="/desk/chats/"' in page
    assert '<span class="badge waiting" id="waiting-chats"' in page
    assert 'title="2 chats waiting for a person">2</span>' in page
    client.force_login(brands.mw_agent)
    page = client.get(reverse("sla_dashboard")).content.decode()
    assert 'title="1 chat waiting for a person">1</span>' in page
    Conversation.objects.update(state=ConversationState.LIVE)
    assert 'id="waiting-chats"' not in client.get(reverse("sla_dashboard")).content.decode()
    template = Template("{% load workspace %}{% waiting_chats %}")
    assert world.agent.is_agent  # the page has loaded the agent already: the badge is one count
    with django_assert_max_num_queries(1):
        assert template.render(Context({"user": world.agent})) == "0"


@pytest.mark.django_db
def test_history_names_people_and_teams_not_emails_or_keys(world, client):
    case = open_case(world.member)
    rita = save_agent(
        name="Rita Lopes", email="rita@webplug.example", level="L2", teams=["redes"]
    ).user
    services.update_case(
        case, services.CaseChanges(assignee=rita, team=rita.agent.teams.get()), actor=world.agent
    )
    client.force_login(world.agent)
    page = client.get(reverse("case_detail", args=[case.pk]))
    lines = [e["text"] for e in page.context["events"]]
    assert "Assignee changed: — → Rita Lopes" in lines
    team = rita.agent.teams.get()
    assert f"Team changed: — → {team.name}" in lines
    assert not any("rita@webplug.example" in line for line in lines)
