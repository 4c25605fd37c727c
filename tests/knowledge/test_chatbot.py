"""The assistant: answers when sure, says so and offers a person when not; the ask command."""

import io
import json

import pytest
from django.core.management import call_command

from supportdesk.knowledge import chatbot
from supportdesk.knowledge.models import Audience

VISITOR = Audience()


def test_answers_with_article_snippet_and_score(demo_kb):
    reply = chatbot.ask("Ile trwa naprawa sprzętu?", audience=VISITOR)
    assert reply.answer is not None and reply.answer.article == "techopieka-onsite-repairs-pl"
    assert "14 dni" in reply.answer.snippet
    assert 0.5 < reply.answer.score <= 1
    assert not reply.handoff
    data = reply.as_json()
    assert list(data) == ["answer", "alternatives", "handoff"]
    assert list(data["answer"]) == ["article", "title", "snippet", "score"]
    assert all(set(a) == {"article", "title", "score"} for a in data["alternatives"])
    assert "techopieka-onsite-repairs" not in {a["article"][:25] for a in data["alternatives"]}


@pytest.mark.parametrize(
    "question",
    [
        "Qual é a previsão do tempo para amanhã em Lisboa?",
        "jak ugotowac bigos",
        "Who won the world cup?",
    ],
)
def test_abstains_rather_than_guessing(demo_kb, question):
    reply = chatbot.ask(question, audience=VISITOR)
    assert reply.answer is None and reply.handoff
    assert len(reply.alternatives) <= 3


@pytest.mark.parametrize(
    "message",
    [
        "talk to a person",
        "Quero falar com uma pessoa",
        "chcę rozmawiać z konsultantem",
        "połącz mnie z człowiekiem",
        "falar com alguem por favor",
        "live agent",
    ],
)
def test_asking_for_a_person_is_a_handoff(demo_kb, message):
    assert chatbot.wants_person(message)
    assert chatbot.ask(message, audience=VISITOR).handoff


def test_small_talk_is_neither_an_answer_nor_a_handoff(demo_kb):
    reply = chatbot.ask("Olá, bom dia!", audience=VISITOR)
    assert reply.small_talk == "greeting" and reply.answer is None and not reply.handoff


def test_ask_command_prints_the_json_contract(demo_kb):
    out = io.StringIO()
    call_command("ask", "quanto tempo demora a portabilidade dos numeros", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["answer"]["article"] == "meetwave-number-porting-pt" and data["handoff"] is False


def test_ask_command_with_lang(demo_kb):
    out = io.StringIO()
    call_command("ask", "How long does porting take?", "--json", "--lang", "pl", stdout=out)
    assert json.loads(out.getvalue())["answer"]["article"] == "meetwave-number-porting-pl"


def test_ask_stdin_answers_one_line_per_question(demo_kb, monkeypatch):
    questions = (
        "ile trwa naprawa sprzetu\n\nquero falar com uma pessoa\nhow long is a single pack valid\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(questions))
    out = io.StringIO()
    call_command("ask", "--stdin", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 4  # one per input line, the empty one included
    assert lines[0]["answer"]["article"].startswith("techopieka-onsite-repairs")
    assert lines[1] == {"answer": None, "alternatives": [], "handoff": True}
    assert lines[2]["handoff"] is True
    assert lines[3]["answer"]["article"].startswith("webplug-hour-packs")


def test_agents_only_articles_are_not_answered_to_visitors(demo_kb):
    question = "For agents: how do I take over a chat from the assistant?"
    assert chatbot.ask(question, audience=Audience(agent=True)).answer.article.startswith(
        "agents-chat-handoff"
    )
    reply = chatbot.ask(question, audience=VISITOR)
    assert reply.answer is None or not reply.answer.article.startswith("agents-")
    assert all(not a.article.startswith("agents-") for a in reply.alternatives)
