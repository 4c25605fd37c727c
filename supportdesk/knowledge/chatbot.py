"""The assistant's one service: a question in, an article (or an honest "I don't know") out.

The ``ask`` command, the portal's chat widget, ``POST /api/chat`` and the portal search all
come through here, so they agree on what is answered, in which language, and for whom.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.knowledge import index
from supportdesk.knowledge.models import Audience
from supportdesk.knowledge.search import confidence, text

#: Below this probability a search result is noise, even on a results page.
MIN_SEARCH_SCORE = 0.05
SNIPPET_CHARS = 280

# "Talk to a person", in the ways customers write it (matched on folded text: no diacritics).
_PERSON = [
    # English
    r"\b(talk|speak|chat)(ing)? (to|with) (a |an |some |your |one of your )?"
    r"(person|human|agent|someone|somebody|people|representative|operator|real|live|support)",
    r"\b(live|real|human) (agent|person|chat|support|being)\b",
    r"^\s*(an? )?(agent|human|operator|representative|person)\b.{0,15}$",
    r"\b(connect|transfer|put) me (to|with|through)\b",
    # Portuguese
    r"\b(falar|falo|fale|conversar|converso)\b.{0,20}\b"
    r"(pessoa|alguem|humano|agente|operador|tecnico|funcionario|atendente)",
    r"\b(atendimento|atendente|operador|assistente) (humano|real|ao vivo)\b",
    r"\bpessoa (real|de verdade)\b",
    r"^\s*(quero|preciso de) (uma pessoa|um humano|um agente|um operador)\b",
    r"\b(passa|passe|transfira|ligue)-?me (a|para|com) (uma pessoa|alguem|um agente|um operador)",
    # Polish
    r"\b(rozmawiac|porozmawiac|rozmowa|rozmowe|polaczyc|polacz|przelacz|przelaczyc|pogadac)\b"
    r".{0,30}\b(czlowiek\w*|konsultant\w*|osob[ae]\w*|kims|agent\w*|pracownik\w*|operator\w*)",
    r"\b(zywy|prawdziwy|prawdziwa|zywa) (czlowiek|konsultant|osoba)",
    r"^\s*(konsultant|czlowiek|operator)\s*[.!?]*\s*$",
]
_PERSON_RE = re.compile("|".join(f"(?:{p})" for p in _PERSON))


def wants_person(message: str) -> bool:
    """Whether the customer asks for a human (pl/pt/en phrasings, diacritics optional)."""
    return bool(_PERSON_RE.search(text.fold(message)))


_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening)|ola|oi|bom dia|boa tarde|"
    r"boa noite|czesc|dzien dobry|witam|hej|siema|dobry wieczor)\b[\s!.,]*)+"
    r"(?:there|all|everyone)?[\s!.,]*$"
)
_THANKS = re.compile(
    r"^\s*(ok(ay)?[\s,]*)?(thanks?( you)?( very much| a lot)?|thx|obrigad[oa]( pela ajuda)?|"
    r"muito obrigad[oa]|dziekuje( bardzo)?|dzieki( wielkie)?|ok|okay|great|perfect|super|"
    r"otimo|perfeito|swietnie)[\s!.,]*$"
)


def small_talk(message: str) -> str | None:
    """'greeting' or 'thanks' for a message that is only that: no article should answer it."""
    folded = text.fold(message)
    if _GREETING.match(folded):
        return "greeting"
    if _THANKS.match(folded):
        return "thanks"
    return None


def small_talk_text(kind: str) -> str:
    if kind == "greeting":
        return _("Hello! What is your question?")
    return _("You are welcome. Anything else?")


@dataclass(frozen=True)
class Suggestion:
    article: str  # the article's external id
    title: str
    score: float  # calibrated probability that this article answers the question
    pk: int
    lang: str
    snippet: str = ""

    def as_json(self, snippet: bool = False) -> dict:
        data = {"article": self.article, "title": self.title, "score": round(self.score, 3)}
        if snippet:
            data = {**data, "snippet": self.snippet}
            data = {k: data[k] for k in ("article", "title", "snippet", "score")}
        return data


@dataclass(frozen=True)
class Reply:
    answer: Suggestion | None
    alternatives: list[Suggestion] = field(default_factory=list)
    handoff: bool = False
    wants_person: bool = False
    small_talk: str | None = None

    def as_json(self) -> dict:
        return {
            "answer": self.answer.as_json(snippet=True) if self.answer else None,
            "alternatives": [s.as_json() for s in self.alternatives],
            "handoff": self.handoff,
        }


def preferred_language(
    user: User | AnonymousUser | None, lang: str | None, question: str, fallback: str | None = None
) -> str | None:
    """Which translation to show: the one asked for, else the question's language, else the
    person's (a Polish customer asking in English reads the English version)."""
    if lang:
        return lang
    detected = text.detect_language(question)
    if detected:
        return detected
    if fallback:
        return fallback
    if user is not None and user.is_authenticated:
        contact = user.contact_or_none
        return user.language or (contact.language if contact else "") or None
    return None


#: What is left of Markdown's tables and rules once the markup is gone: "--- --- ---", ":---:".
_RULES = re.compile(r"(?<!\S)[-=:|]{3,}(?!\S)")


def _snippet(passage: str) -> str:
    """The passage as clean text: no table or rule debris, at most ``SNIPPET_CHARS``."""
    passage = " ".join(_RULES.sub(" ", passage).split())
    if len(passage) <= SNIPPET_CHARS:
        return passage
    cut = passage[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _suggest(
    loaded: index.LoadedIndex, ranking, mask, lang: str | None, limit: int
) -> list[Suggestion]:
    engine = loaded.engine
    calibration = confidence.calibration()
    out = []
    for candidate in confidence.candidates(ranking, engine.group_of, limit=limit):
        probability = calibration.probability(
            confidence.features(engine, ranking, mask, candidate.group)
        )
        chosen = candidate.index
        if lang and engine.docs[chosen].lang != lang:
            for i in (engine.group_of == candidate.group).nonzero()[0]:
                if engine.docs[i].lang == lang and (mask is None or mask[i]):
                    chosen = int(i)
                    break
        entry = loaded.entries[chosen]
        out.append(Suggestion(entry.key, entry.title, probability, entry.pk, entry.lang))
    return out


def ask(
    question: str,
    *,
    lang: str | None = None,
    user: User | AnonymousUser | None = None,
    audience: Audience | None = None,
    loaded: index.LoadedIndex | None = None,
    alternatives: int = 3,
    fallback_lang: str | None = None,
) -> Reply:
    """Answer from the articles this person may read, or say no and offer a person."""
    person = wants_person(question)
    chat = None if person else small_talk(question)
    if chat:
        return Reply(None, [], handoff=False, small_talk=chat)
    loaded = loaded or index.current()
    audience = audience or Audience.of(user)
    mask = loaded.mask(audience)
    engine = loaded.engine
    if not question.strip() or not len(engine) or (mask is not None and not mask.any()):
        return Reply(None, [], handoff=True, wants_person=person)
    ranking = engine.rank(question, allowed=mask)
    if not _understood(ranking, question):
        return Reply(None, [], handoff=True, wants_person=person)
    language = preferred_language(user, lang, question, fallback_lang)
    suggestions = _suggest(loaded, ranking, mask, language, alternatives + 1)
    threshold = confidence.calibration().threshold
    answer = suggestions[0] if suggestions and suggestions[0].score >= threshold else None
    if answer is not None:
        doc = engine.position[answer.article]
        answer = Suggestion(
            answer.article,
            answer.title,
            answer.score,
            answer.pk,
            answer.lang,
            _snippet(engine.best_piece(doc, ranking.query_vector)),
        )
        rest = suggestions[1 : alternatives + 1]
    else:
        rest = suggestions[:alternatives]
    return Reply(answer, rest, handoff=person or answer is None, wants_person=person)


def search(
    query: str,
    *,
    user: User | AnonymousUser | None = None,
    audience: Audience | None = None,
    lang: str | None = None,
    limit: int = 10,
) -> list[Suggestion]:
    """Articles for a search box: one per translation group, best first, noise left out."""
    loaded = index.current()
    audience = audience or Audience.of(user)
    mask = loaded.mask(audience)
    if not query.strip() or not len(loaded.engine) or (mask is not None and not mask.any()):
        return []
    ranking = loaded.engine.rank(query, allowed=mask)
    if not _understood(ranking, query):
        return []
    language = preferred_language(user, lang, query)
    found = _suggest(loaded, ranking, mask, language, limit)
    return [s for s in found if s.score >= MIN_SEARCH_SCORE]


def _understood(ranking, question: str) -> bool:
    """Whether the question is words at all: the knowledge base knows one of them (typos
    forgiven), or they are recognisably a language of the desk.

    The embeddings always find a nearest article, even for "zzzz qwerty": for keystrokes that
    are no language and no word the articles use, whatever they find is noise. A question in
    another of the desk's languages than the articles' (English asked of Polish articles) shares
    no word with them and is still a question: the embeddings answer it across languages.
    """
    return ranking.coverage > 0 or text.detect_language(question) is not None


def no_answer_text() -> str:
    return _("I could not find an article that answers this. A person can help you.")
