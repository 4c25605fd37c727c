"""Search across cases, the views of finished cases and saved views, as an agent uses them
from the queue: what is found, in which order, and never another brand's case."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from supportdesk.desk.models import SavedView
from supportdesk.tickets import search, services
from supportdesk.tickets.models import Case
from tests.factories import make_two_brands


@pytest.fixture(autouse=True)
def _no_cached_counts():
    cache.clear()
    yield
    cache.clear()


def found(client, query: str, **params) -> list[int]:
    """The cases the queue lists for this search, in its order."""
    response = client.get(reverse("queue"), {"q": query, **params})
    assert response.status_code == 200
    return [row["case"].pk for row in response.context["rows"]]


@pytest.fixture
def cases(world):
    printer = services.open_case(
        subject="Impressora do armazém parada",
        body="Não imprime etiquetas.",
        channel="web",
        contact=world.member,
        reference="WP-1042",
    )
    vpn = services.open_case(
        subject="VPN",
        body="O túnel cai a cada hora; o relatório diz kerberos expirado.",
        channel="web",
        contact=world.admin,
    )
    stranger = services.open_case(
        subject="Fatura",
        body="Pergunta sobre a fatura.",
        channel="email",
        sender="zeca@desconhecido.example",
    )
    return printer, vpn, stranger


@pytest.mark.django_db
def test_search_finds_a_case_by_each_field(world, client, cases):
    printer, vpn, stranger = cases
    client.force_login(world.agent)
    assert found(client, "armazém") == [printer.pk]  # subject
    assert found(client, "kerberos") == [vpn.pk]  # a message's body
    assert found(client, "Ana Silva") == [vpn.pk]  # requester's name
    assert found(client, "bruno@cliente-b.pt") == [printer.pk]  # requester's email
    assert found(client, "zeca@desconhecido") == [stranger.pk]  # an unregistered sender
    assert found(client, "912 345 678") == [vpn.pk]  # requester's phone, typed as people do
    assert found(client, "WP-1042") == [printer.pk]  # the case number
    assert found(client, f"#{vpn.pk}")[0] == vpn.pk  # the number of an unnumbered case
    assert found(client, "impressora etiquetas") == [printer.pk]  # every word, anywhere
    assert found(client, "impressora kerberos") == []


@pytest.mark.django_db
def test_search_looks_at_finished_cases_too_and_orders_the_best_match_first(world, client):
    old = services.open_case(
        subject="Pedido antigo", body="Router da sede.", channel="web", contact=world.member
    )
    services.change_status(old, "closed", actor=world.agent)
    in_subject = services.open_case(
        subject="Router da sede", body="Sem ligação.", channel="web", contact=world.member
    )
    client.force_login(world.agent)
    assert found(client, "router da sede") == [in_subject.pk, old.pk]
    assert found(client, "router", status="closed") == [old.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["\x00", "%", "_", "' OR 1=1 --", "a\x00b", "ü" * 5000, "\\", "{{ x }}", "  "]
)
def test_hostile_search_text_is_answered_not_an_error(world, client, cases, query):
    client.force_login(world.agent)
    response = client.get(reverse("queue"), {"q": query})
    assert response.status_code in (200, 400)  # NUL is refused before the view, as elsewhere
    if response.status_code == 200:
        assert response.context["rows"] == [] or query.strip() == ""
    assert search.matching(Case.objects.all(), query).count() in (0, 3)


@pytest.mark.django_db
def test_search_never_crosses_brands(world, client):
    brands = make_two_brands(world)
    theirs = services.open_case(
        subject="VPN", body="kerberos expirado", channel="web", contact=world.admin
    )
    mine = services.open_case(
        subject="Kamera nie działa", body="kerberos", channel="web", contact=brands.mw_admin
    )
    client.force_login(brands.mw_agent)
    assert found(client, "kerberos") == [mine.pk]
    assert found(client, "Ana Silva") == [] and found(client, theirs.label) == []
    assert found(client, f"#{theirs.pk}") == []
    client.force_login(world.agent)
    assert found(client, "kerberos") == [theirs.pk]
    assert found(client, "Agnieszka") == [] and found(client, f"#{mine.pk}") == []
    client.force_login(brands.lead)  # an agent of every brand finds both
    assert sorted(found(client, "kerberos")) == sorted([theirs.pk, mine.pk])
    client.force_login(world.member.user)  # a customer has no queue at all
    assert client.get(reverse("queue"), {"q": "kerberos"}).status_code == 404


@pytest.mark.django_db
def test_views_of_resolved_and_closed_cases(world, client, cases):
    printer, vpn, stranger = cases
    services.change_status(printer, "resolved", actor=world.agent)
    services.change_status(vpn, "closed", actor=world.agent)
    client.force_login(world.agent)
    assert [r["case"].pk for r in client.get(reverse("queue")).context["rows"]] == [stranger.pk]
    page = client.get(reverse("queue"), {"status": "resolved"})
    assert [r["case"].pk for r in page.context["rows"]] == [printer.pk]
    closed = client.get(reverse("queue"), {"status": "closed"})
    assert [r["case"].pk for r in closed.context["rows"]] == [vpn.pk]
    counts = client.get(reverse("queue_counts"), {"status": "closed"})
    assert "1 case" in counts.content.decode()


@pytest.mark.django_db
def test_saved_views_are_private_unless_shared_with_the_brand(world, client, cases):
    brands = make_two_brands(world)
    from supportdesk.accounts.services import save_agent

    colleague = save_agent(
        name="Rita Lopes", email="rita@webplug.example", level="L1", brand=brands.webplug
    ).user
    client.force_login(world.agent)
    for name, shared in (("Minhas P3", False), ("Equipa P3", True)):
        response = client.post(
            reverse("save_view"),
            {"name": name, "shared": "on" if shared else "", "filters": "priority=P3&q=VPN"},
        )
        assert response.status_code == 302 and response.url.endswith("?q=VPN&priority=P3")
    page = client.get(reverse("queue")).content.decode()
    assert "Minhas P3" in page and "Equipa P3" in page
    assert 'href="/desk/?q=VPN&amp;priority=P3"' in page
    client.force_login(colleague)
    page = client.get(reverse("queue")).content.decode()
    assert "Equipa P3" in page and "Minhas P3" not in page
    shared = SavedView.objects.get(name="Equipa P3")
    assert client.post(reverse("delete_view", args=[shared.pk])).status_code == 404
    client.force_login(brands.mw_agent)
    assert "Equipa P3" not in client.get(reverse("queue")).content.decode()
