"""The agent workspace and the customer portal, through Django's test client: who sees what,
what the pages say, and query counts that do not grow with the data."""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportdesk.tickets import services
from supportdesk.tickets.models import Attachment, Case, Message


def new_case(contact, subject="Impressora", channel="web", **fields):
    return services.open_case(
        subject=subject, body="Não imprime.", channel=channel, contact=contact, **fields
    )


@pytest.fixture(autouse=True)
def _no_cached_counts():
    """The queue's counts live in the cache for a few seconds: none from another test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# ------------------------------------------------------------------------------- portal


@pytest.mark.django_db
def test_customer_opens_case_and_sees_when_the_answer_is_due(world, as_user):
    client = as_user(world.member.user)
    response = client.post(
        reverse("new_case"), {"subject": "VPN", "description": "Sem acesso", "priority": "P2"}
    )
    case = Case.objects.get(subject="VPN")
    assert response.status_code == 302 and response.url == reverse("my_case", args=[case.pk])
    page = client.get(response.url).content.decode()
    assert "We will answer by" in page
    due = case.clocks.get(metric="first_response").due_at
    assert f'datetime="{due.isoformat()}"' in page
    assert case.channel == "web" and case.covered and case.contact == world.member


@pytest.mark.django_db
def test_new_case_form_shows_the_plans_own_priority_definitions(world, as_user):
    world.plan.priority_definitions = {"P1": "Service down, no workaround."}
    world.plan.save()
    page = as_user(world.member.user).get(reverse("new_case")).content.decode()
    assert "Service down, no workaround." in page
    assert 'aria-describedby="id_priority_0_definition"' in page


@pytest.mark.django_db
def test_attachments_are_stored_and_served_only_to_who_may_see_them(
    world, as_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = as_user(world.member.user)
    upload = SimpleUploadedFile("log.txt", b"E42", content_type="text/plain")
    client.post(
        reverse("new_case"),
        {"subject": "Log", "description": "see log", "priority": "P3", "attachments": [upload]},
    )
    attachment = Attachment.objects.get()
    assert attachment.name == "log.txt" and attachment.size == 3
    url = reverse("attachment", args=[attachment.pk])
    assert b"".join(client.get(url).streaming_content) == b"E42"
    assert as_user(world.agent).get(url).status_code == 200
    assert as_user(world.outsider.user).get(url).status_code == 404


@pytest.mark.django_db
def test_oversized_attachment_is_refused_with_the_limit(world, as_user, settings, tmp_path):
    settings.MEDIA_ROOT, settings.ATTACHMENT_MAX_BYTES = tmp_path, 10
    client = as_user(world.member.user)
    upload = SimpleUploadedFile("big.bin", b"x" * 11)
    response = client.post(
        reverse("new_case"),
        {"subject": "Big", "description": "!", "priority": "P3", "attachments": [upload]},
    )
    assert response.status_code == 400  # the form again, with what to fix
    assert "big.bin is larger than 10\xa0bytes" in response.content.decode()
    assert not Case.objects.filter(subject="Big").exists()


@pytest.mark.django_db
def test_members_see_their_own_cases_admins_the_organization(world, as_user):
    own = new_case(world.member, "Do Bruno")
    colleague = new_case(world.admin, "Da Ana")
    member = as_user(world.member.user)
    listing = member.get(reverse("my_cases")).content.decode()
    assert "Do Bruno" in listing and "Da Ana" not in listing
    assert member.get(reverse("my_case", args=[colleague.pk])).status_code == 404
    admin = as_user(world.admin.user)
    listing = admin.get(reverse("my_cases")).content.decode()
    assert "Do Bruno" in listing and "Da Ana" in listing
    assert admin.get(reverse("my_case", args=[own.pk])).status_code == 200


@pytest.mark.django_db
def test_outsider_gets_404_for_another_organizations_case(world, as_user):
    case = new_case(world.admin)
    outsider = as_user(world.outsider.user)
    assert outsider.get(reverse("my_case", args=[case.pk])).status_code == 404
    assert outsider.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert outsider.get(reverse("queue")).status_code == 404
    assert outsider.get(reverse("sla_dashboard")).status_code == 404
    assert outsider.get(reverse("organization", args=["cliente-b"])).status_code == 404
    assert outsider.post(reverse("case_reply", args=[case.pk]), {"body": "x"}).status_code == 404


@pytest.mark.django_db
def test_internal_notes_never_reach_the_customer(world, as_user):
    case = new_case(world.admin)
    services.post_reply(case, author=world.agent, body="Cliente difícil", public=False)
    services.post_reply(case, author=world.agent, body="Já tratámos.")
    page = as_user(world.admin.user).get(reverse("my_case", args=[case.pk])).content.decode()
    assert "Já tratámos." in page and "Cliente difícil" not in page
    assert "First response: answered on time" in page


@pytest.mark.django_db
def test_customer_reply_reopens_a_waiting_case(world, as_user):
    case = new_case(world.admin)
    services.change_status(case, "waiting", actor=world.agent)
    client = as_user(world.admin.user)
    client.post(reverse("my_case", args=[case.pk]), {"body": "Here is the model."})
    case.refresh_from_db()
    assert case.status == "open"
    assert case.messages.filter(body="Here is the model.", kind="customer").exists()


@pytest.mark.django_db
def test_uncovered_case_says_why(world, as_user):
    case = new_case(world.admin, "Por SMS", channel="sms")
    page = as_user(world.admin.user).get(reverse("my_case", args=[case.pk])).content.decode()
    assert "not covered by a guarantee: channel SMS carries no guarantee" in page
    assert "We usually answer by" in page


@pytest.mark.django_db
def test_plan_page_shows_the_entitlement_matrix_of_the_customers_plan(world, as_user):
    world.plan.entitlements = {"ticket_l1": ["admin"], "phone_l2": ["licensed_member"]}
    world.plan.save()
    page = as_user(world.member.user).get(reverse("my_plan")).content.decode()
    assert "What Priority includes" in page
    assert "Level 1 support by web case" in page and "Direct Level 2 support by phone" in page
    assert "within 4 hours" in page and "by the end of business day 2" in page


# ------------------------------------------------------------------------------- agents


@pytest.mark.django_db
def test_agent_replies_from_the_case_page(world, as_user):
    case = new_case(world.admin)
    agent = as_user(world.agent)
    response = agent.post(reverse("case_reply", args=[case.pk]), {"body": "Olá Ana", "public": "1"})
    assert response.status_code == 302
    clock = case.clocks.get(metric="first_response")
    assert clock.met_at is not None
    page = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Olá Ana" in page
    assert "Rule: First response, within 4 hours, business hours" in page
    assert "Covered by Priority" in page


@pytest.mark.django_db
def test_agent_note_is_marked_internal(world, as_user):
    case = new_case(world.admin)
    agent = as_user(world.agent)
    agent.post(reverse("case_reply", args=[case.pk]), {"body": "Só para nós", "public": "0"})
    assert Message.objects.get(body="Só para nós").kind == "note"
    assert case.clocks.get(metric="first_response").met_at is None
    page = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'class="msg note"' in page and "Internal note, not visible to the customer" in page


@pytest.mark.django_db
def test_agent_changes_status_priority_level_and_assignee(world, as_user):
    case = new_case(world.admin)
    agent = as_user(world.agent)
    agent.post(
        reverse("case_update", args=[case.pk]),
        {"status": "open", "priority": "P1", "level": "L2", "assignee": world.agent.pk},
    )
    case.refresh_from_db()
    assert (case.status, case.priority, case.level, case.assignee) == (
        "open",
        "P1",
        "L2",
        world.agent,
    )
    history = agent.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Priority changed: P3 (normal) → P1 (critical)" in history
    assert "Status changed: New → Open" in history


@pytest.mark.django_db
def test_clock_due_instants_are_shown_in_the_agents_time_zone(world, as_user):
    world.agent.timezone = "Europe/Warsaw"
    world.agent.save()
    case = new_case(world.admin, at=datetime(2026, 3, 2, 9, tzinfo=UTC))  # Monday 09:00 UTC
    page = as_user(world.agent).get(reverse("case_detail", args=[case.pk])).content.decode()
    # 4 business hours from 09:00 Lisbon (= UTC in March) is 13:00 Lisbon, 14:00 Warsaw.
    assert "Mon 2 Mar 2026, 14:00" in page
    assert "Times in Europe/Warsaw." in page


@pytest.mark.django_db
def test_queue_is_ordered_by_next_due_in_constant_queries(
    world, as_user, django_assert_max_num_queries
):
    agent = as_user(world.agent)
    for subject, day in (("Mais recente", 4), ("Mais antigo", 2), ("Do meio", 3)):
        services.open_case(
            subject=subject,
            body="!",
            channel="web",
            contact=world.admin,
            at=datetime(2026, 3, day, 9, tzinfo=UTC),
        )
    new_case(None, "Sem relógio", channel="email", sender="x@unknown.example")
    page = agent.get(reverse("queue")).content.decode()
    assert (
        page.index("Mais antigo")
        < page.index("Do meio")
        < page.index("Mais recente")
        < page.index("Sem relógio")
    )
    # Session, user, agent; two counts, rows and clocks of each half of the order (cases
    # with a running clock, then those without); teams and agents for the filters; mail
    # that failed, for the page's rows; the agent's saved views; chats waiting (the menu).
    with django_assert_max_num_queries(14) as few:
        agent.get(reverse("queue"))
    for i in range(60):
        new_case(world.admin, f"Caso {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        agent.get(reverse("queue"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        agent.get(reverse("queue") + "?page=2")


@pytest.mark.django_db
def test_queue_filters_live_in_the_url_and_count_per_value(world, as_user):
    agent = as_user(world.agent)
    new_case(world.admin, "Atrasado", priority="P1", at=datetime(2026, 1, 5, 9, tzinfo=UTC))
    new_case(world.outsider, "Da Outra", priority="P2")
    new_case(world.admin, "Por SMS", channel="sms")
    page = agent.get(reverse("queue") + "?overdue=1").content.decode()
    assert "Atrasado" in page and "Da Outra" not in page
    assert "breached" in page and " ago" in page
    page = agent.get(reverse("queue") + "?organization=outra").content.decode()
    assert "Da Outra" in page and "Atrasado" not in page
    page = agent.get(reverse("queue") + "?uncovered=1").content.decode()
    assert "Por SMS" in page and "Atrasado" not in page
    counts = agent.get(reverse("queue_counts") + "?priority=P1").content.decode()
    assert "P1 (critical) (1)" in counts and "P2 (high) (1)" in counts
    assert "Overdue (1)" in counts and "Not covered (0)" in counts
    assert "Cliente B, Lda. (1)" in counts  # organization counts under the P1 filter
    # Counts computed once are part of the next page too (cached for a few seconds).
    assert "P2 (high) (1)" in agent.get(reverse("queue") + "?priority=P1").content.decode()


@pytest.mark.django_db
def test_assigned_to_me_is_each_agents_own(world, as_user):
    from supportdesk.accounts.services import save_agent

    other = save_agent(name="Marta", email="marta@webplug.example", level="L2").user
    case = new_case(world.admin, "Da Marta")
    services.assign(case, assignee=other, actor=other)
    mine = as_user(world.agent).get(reverse("queue_counts") + "?assignee=me").content.decode()
    assert "0 open cases" in mine
    hers = as_user(other).get(reverse("queue_counts") + "?assignee=me").content.decode()
    assert "1 open case" in hers
    assert "Da Marta" in as_user(other).get(reverse("queue") + "?assignee=me").content.decode()


@pytest.mark.django_db
def test_htmx_refresh_renders_only_the_results(world, as_user):
    new_case(world.admin, "Parcial")
    response = as_user(world.agent).get(
        reverse("queue"), headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    page = response.content.decode()
    assert "Parcial" in page and page.lstrip().startswith('<section id="queue-results"')


@pytest.mark.django_db
def test_case_page_in_constant_queries(world, as_user, django_assert_max_num_queries):
    case = new_case(world.admin)
    agent = as_user(world.agent)
    with django_assert_max_num_queries(25) as few:
        agent.get(reverse("case_detail", args=[case.pk]))
    for i in range(10):
        services.post_reply(case, author=world.agent, body=f"Mensagem {i}", public=bool(i % 2))
    services.change_priority(case, "P1", actor=world.agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        agent.get(reverse("case_detail", args=[case.pk]))


@pytest.mark.django_db
def test_portal_list_in_constant_queries(world, as_user, django_assert_max_num_queries):
    client = as_user(world.admin.user)
    new_case(world.admin)
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("my_cases"))
    for i in range(20):
        new_case(world.member if i % 2 else world.admin, f"Caso {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("my_cases"))


@pytest.mark.django_db
def test_organization_page_lists_contract_contacts_cases_and_credits(world, as_user):
    case = new_case(world.admin, "Caso atrasado", at=datetime(2026, 1, 5, 9, tzinfo=UTC))
    services.sweep(now=datetime(2026, 1, 6, tzinfo=UTC))
    page = as_user(world.agent).get(reverse("organization", args=["cliente-b"])).content.decode()
    assert "Priority" in page and "open-ended" in page
    assert "ana@cliente-b.pt" in page and "+351912345678" in page and "Bruno Reis" in page
    assert "Caso atrasado" in page
    assert "1 h of free support earned in total." in page
    assert case.credit.hours == 1


@pytest.mark.django_db
def test_first_response_met_in_the_queue_moves_the_case_down(world, as_user):
    first = new_case(world.admin, "Primeiro", at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    new_case(world.admin, "Segundo", at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    services.post_reply(
        first, author=world.agent, body="ok", at=datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    )
    page = as_user(world.agent).get(reverse("queue")).content.decode()
    assert page.index("Segundo") < page.index("Primeiro")
