"""What a reader gets back: clean snippets, nothing for nonsense (and the way to a person),
and only their own provider's articles."""

import re

import pytest
from django.urls import reverse

from supportdesk.knowledge import chatbot, demo, index
from supportdesk.knowledge.models import Article, Audience
from tests.factories import make_two_brands

VISITOR = Audience()
#: What a Markdown table or rule leaves behind when its markup is stripped.
DEBRIS = re.compile(r"(?<!\S)[-=:|]{3,}(?!\S)|\|")


def test_answers_to_every_article_read_as_text_without_table_debris(demo_kb):
    tables = [a for a in Article.objects.published() if "|---" in a.body]
    assert tables, "the demo knowledge base has tables to strip"
    answered = 0
    for article in Article.objects.published().filter(visibility="public"):
        reply = chatbot.ask(article.title, audience=VISITOR, lang=article.lang)
        if reply.answer is not None:
            answered += 1
            assert not DEBRIS.search(reply.answer.snippet), (article.title, reply.answer.snippet)
    assert answered > 30


def test_a_table_row_becomes_its_words():
    passage = "Plan Channels Guaranteed --- --- --- Standard email by the end :---: of the day"
    assert (
        chatbot._snippet(passage) == "Plan Channels Guaranteed Standard email by the end of the day"
    )


@pytest.mark.parametrize("query", ["zzzz qwerty", "xyzzy plugh", "qqqq"])
def test_nonsense_finds_nothing_and_offers_a_person(demo_kb, query):
    assert chatbot.search(query, audience=VISITOR) == []
    reply = chatbot.ask(query, audience=VISITOR)
    assert reply.answer is None and reply.alternatives == [] and reply.handoff


@pytest.mark.parametrize(
    ("query", "group"),
    [
        ("how long is a single pack valid", "webplug-hour-packs"),
        ("ile trwa naprawa sprzetu", "techopieka-onsite-repairs"),
        ("portabilidade dos numeros", "meetwave-number-porting"),
    ],
)
def test_real_questions_still_find_their_article(demo_kb, query, group):
    assert chatbot.search(query, audience=VISITOR)[0].article.startswith(group)


@pytest.mark.parametrize(
    ("language", "nothing", "person"),
    [
        ("en", "Nothing found.", "Ask a person by email"),
        ("pl", "Nic nie znaleziono.", "Zapytaj konsultanta e-mailem"),
        ("pt", "Nada encontrado.", "Perguntar a uma pessoa por email"),
    ],
)
def test_the_help_centre_says_nothing_found_and_how_to_ask_a_person(
    demo_kb, client, language, nothing, person
):
    client.cookies["supportdesk_language"] = language
    page = client.get(reverse("kb"), {"q": "zzzz qwerty"}).content.decode()
    assert nothing in page and person in page
    assert reverse("chat_write") in page and reverse("login") in page
    assert 'class="kb-results"' not in page


def test_a_signed_in_customer_is_offered_a_case(demo_kb, client, world):
    client.force_login(world.member.user)
    page = client.get(reverse("kb"), {"q": "zzzz qwerty"}).content.decode()
    assert reverse("new_case") in page


@pytest.fixture
def branded_kb(world):
    """WebPlug's and MeetWave's articles on one desk (the demo KB, with both brands known)."""
    brands = make_two_brands(world)
    demo.load_demo_kb()
    index.forget()
    return brands


def test_a_customer_gets_answers_from_their_own_providers_articles_only(branded_kb):
    question = "how long is a single pack of hours valid"
    visitor = chatbot.ask(question, audience=VISITOR)
    assert visitor.answer is not None and visitor.answer.article.startswith("webplug-")
    meetwave_customer = branded_kb.mw_admin.user
    reply = chatbot.ask(question, user=meetwave_customer)
    found = [reply.answer] if reply.answer else []
    found += reply.alternatives + chatbot.search(question, user=meetwave_customer)
    brands = set(
        Article.objects.filter(external_id__in=[s.article for s in found]).values_list(
            "brand__slug", flat=True
        )
    )
    assert "webplug" not in brands
    webplug_customer = branded_kb.world.admin.user
    assert chatbot.ask(question, user=webplug_customer).answer.article.startswith("webplug-")


def test_the_help_centre_lists_only_the_providers_articles(branded_kb, client):
    client.force_login(branded_kb.mw_admin.user)
    page = client.get(reverse("kb")).content.decode()
    webplug = Article.objects.filter(brand__slug="webplug").values_list("external_id", flat=True)
    assert not [key for key in webplug if reverse("kb_article", args=[key]) in page]
    assert Article.objects.filter(brand__slug="meetwave").exists()
