"""Help-centre pages, 'was this useful?' votes with counts, the editor with history, reports."""

import pytest
from django.urls import reverse

from supportdesk.knowledge import services
from supportdesk.knowledge.models import Article


@pytest.fixture
def article(db):
    article, _ = services.save_article(
        "blocks-en",
        lang="en",
        title="Billing in blocks",
        body="15-minute **blocks**.",
        status="published",
    )
    return article


def test_votes_count_once_per_person_and_can_change(article, world):
    services.vote(article, useful=True, user=world.admin.user)
    services.vote(article, useful=True, user=world.admin.user)
    services.vote(article, useful=False, user=world.member.user)
    services.vote(article, useful=True, session_key="anon-1")
    article.refresh_from_db()
    assert (article.useful_yes, article.useful_no) == (2, 1)
    services.vote(article, useful=True, user=world.member.user)  # changed their mind
    article.refresh_from_db()
    assert (article.useful_yes, article.useful_no) == (3, 0)


def test_article_page_shows_counts_and_takes_votes(client, article, world):
    client.force_login(world.member.user)
    page = client.get(reverse("kb_article", args=["blocks-en"])).content.decode()
    assert "<strong>blocks</strong>" in page and "0 people found this useful" in page
    response = client.post(reverse("kb_vote", args=["blocks-en"]), {"useful": "yes"})
    assert response.status_code == 302
    assert "1 person found this useful" in client.get(response.url).content.decode()


def test_anonymous_visitors_vote_by_session(client, article):
    client.post(reverse("kb_vote", args=["blocks-en"]), {"useful": "no"})
    client.post(reverse("kb_vote", args=["blocks-en"]), {"useful": "no"})
    article.refresh_from_db()
    assert article.useful_no == 1


def test_least_useful_report(client, world, article):
    other, _ = services.save_article(
        "packs-en", lang="en", title="Packs", body="Valid a year.", status="published"
    )
    for i in range(3):
        services.vote(article, useful=i == 0, session_key=f"s{i}")
        services.vote(other, useful=True, session_key=f"s{i}")
    assert [a.external_id for a in services.least_useful(min_votes=3)] == ["blocks-en", "packs-en"]
    client.force_login(world.agent)
    page = client.get(reverse("desk_kb_report")).content.decode()
    assert page.index("Billing in blocks") < page.index("Packs") and "33%" in page
    client.force_login(world.member.user)
    assert client.get(reverse("desk_kb_report")).status_code == 404


def test_invisible_articles_are_404(client, world):
    services.save_article(
        "internal-en",
        lang="en",
        title="Internal",
        body="x",
        status="published",
        visibility="agents",
    )
    services.save_article("draft-en", lang="en", title="Draft", body="x")
    client.force_login(world.member.user)
    assert client.get(reverse("kb_article", args=["internal-en"])).status_code == 404
    assert client.get(reverse("kb_article", args=["draft-en"])).status_code == 404
    client.force_login(world.agent)
    assert client.get(reverse("kb_article", args=["draft-en"])).status_code == 200


def test_markdown_is_sanitised(article):
    saved, _ = services.save_article(
        "xss-en",
        lang="en",
        title="X",
        status="published",
        body="<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    assert "<script" not in saved.body_html and "javascript:" not in saved.body_html
    assert "onerror" not in saved.body_html


def test_editor_saves_drafts_publishes_and_keeps_history(client, world):
    client.force_login(world.agent)
    data = {
        "external_id": "porting-pl",
        "lang": "pl",
        "group": "porting",
        "title": "Przenoszenie",
        "body": "7-10 dni.",
        "categories": "phone, calling",
        "visibility": "public",
        "status": "draft",
        "note": "first draft",
    }
    assert client.post(reverse("desk_kb_new"), data).status_code == 302
    article = Article.objects.get(external_id="porting-pl")
    assert article.status == "draft" and article.group == "porting"
    assert sorted(c.slug for c in article.categories.all()) == ["calling", "phone"]
    client.post(
        reverse("desk_kb_edit", args=["porting-pl"]),
        {**data, "status": "published", "body": "7-10 dni roboczych.", "note": "published"},
    )
    article.refresh_from_db()
    assert article.status == "published" and article.published_at is not None
    revisions = list(article.revisions.values_list("number", "status", "note"))
    assert revisions == [(2, "published", "published"), (1, "draft", "first draft")]
    client.post(reverse("desk_kb_history", args=["porting-pl"]), {"number": 1})
    article.refresh_from_db()
    assert article.body == "7-10 dni." and article.revisions.count() == 3


def test_help_centre_lists_and_searches(client, demo_kb, world):
    client.force_login(world.member.user)
    home = client.get(reverse("kb")).content.decode()
    assert "How long" not in home or "Help centre" in home
    found = client.get(reverse("kb"), {"q": "ile trwa naprawa sprzetu"}).content.decode()
    assert "techopieka-onsite-repairs" in found
    data = client.get(reverse("kb_search_json"), {"q": "portabilidade"}).json()
    assert data["results"][0]["article"].startswith("meetwave-number-porting")


def test_agents_get_article_links_to_insert(client, demo_kb, world):
    client.force_login(world.agent)
    html = client.get(reverse("desk_kb_links"), {"q": "number porting"}).content.decode()
    assert 'data-insert="[' in html and "/kb/article/meetwave-number-porting" in html
    links = client.get(reverse("desk_kb_links"), {"q": "take over a chat", "format": "json"}).json()
    assert all(not link["article"].startswith("agents-") for link in links["links"])
    client.force_login(world.member.user)
    assert client.get(reverse("desk_kb_links"), {"q": "porting"}).status_code == 404


def test_admin_saves_through_the_service(client, world):
    from supportdesk.accounts.models import User

    root = User.objects.create_superuser("root@example.com", "pw-123456789")
    client.force_login(root)
    data = {
        "external_id": "admin-en", "group": "admin", "lang": "en", "title": "From the admin",
        "body": "Body", "source": "", "status": "published", "visibility": "public",
        "revisions-TOTAL_FORMS": "0", "revisions-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = client.post(reverse("admin:knowledge_article_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(external_id="admin-en")
    assert article.revisions.count() == 1 and article.body_html == "<p>Body</p>"
