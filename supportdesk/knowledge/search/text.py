"""Text normalisation shared by indexing and querying: the two sides must agree exactly.

Customers type without diacritics, with typos and in inflected forms, so every word is
compared through its *folded* form (lower case, no diacritics) and its simplemma lemma.
"""

import re
import unicodedata
from functools import lru_cache

import simplemma

#: Languages the desk lemmatises. Others are indexed by folded surface forms only.
LANGUAGES = ("pl", "pt", "en")

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_URL = re.compile(r"https?://\S+|www\.\S+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_NOISE = re.compile(r"[#*_`>|]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+|\n+")

# Letters NFKD does not decompose.
_EXTRA_FOLD = str.maketrans({"ł": "l", "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d"})

#: Function words of the three languages: they carry no topic and make noise in BM25 and in
#: the coverage features of abstention. Folded, so they match typed-without-diacritics text.
_STOPWORDS_TEXT = """
    a aby ach albo ale ani az bardzo bez bo by byc byl byla byli bylo beda bede bedzie ci cie co
    czy dla do gdy gdzie go i ich ile im inne inny ja jak jaka jaki jakie jako je jego jej jest
    jestem jesli jezeli juz ktora ktore ktory ktorych kto ma mam mamy mi mnie moj moja moje moge
    moze mozna mu my na nad nam nas nasz nasza nasze nie niz no o od oraz po pod przez przy sa
    sie sobie tak takze ta tam te tego tej ten to tu tylko ty tym u w we wiec wszystko z za ze
    zeby czym kiedy mojego mojej moim naszej naszego twoj twoja as ao aos com como da das de do
    dos e ela ele eles em entre era essa esse esta este eu foi ha isso isto ja lhe mais mas me
    meu minha na nas nao no nos o os ou para pela pelo por qual quais quando que quem se sem ser
    seu sua sao tem um uma voces voce vos sobre tambem muito ate ter estou esta estao posso pode
    podem an and are at be by can do does for from had has have how i if in into is it its me my
    no not of on or our so than that the their them then there these they this to was we were
    what when where which who why will with would you your am
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def fold(text: str) -> str:
    """Lower case without diacritics: 'Sprzętu' -> 'sprzetu', 'Ação' -> 'acao'."""
    text = text.lower().translate(_EXTRA_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain(markdown: str) -> str:
    """Markdown to indexable text: link labels kept, URLs and markup dropped."""
    text = _MD_LINK.sub(r"\1", markdown)
    text = _URL.sub(" ", text)
    return _MD_NOISE.sub(" ", text)


def words(text: str) -> list[str]:
    """Lower-cased words with their diacritics (lemmatisation needs them)."""
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str) -> str:
    """simplemma's lemma of one lower-cased word, cached: the same words recur endlessly."""
    if lang not in LANGUAGES or not word.isalpha():
        return word
    return simplemma.lemmatize(word, lang=lang).lower()


def warm() -> None:
    """Load simplemma's dictionaries now: they take seconds to decode, and a server calls this
    in its master process so that every worker it forks answers its first question at once."""
    for lang in LANGUAGES:
        simplemma.lemmatize("test", lang=lang)


def doc_terms(word: str, lang: str) -> tuple[str, ...]:
    """Index terms of a document word: folded lemma and folded surface form.

    Both, because simplemma is not always consistent across inflections ('wsparcie' ->
    'wesprzeć', 'wsparcia' -> 'wsparcie'); a query word then meets the document through either.
    """
    surface = fold(word)
    base = fold(lemma(word, lang))
    return (base,) if base == surface else (base, surface)


def query_candidates(word: str) -> set[str]:
    """Index terms a query word may stand for, in any of the desk's languages."""
    surface = fold(word)
    found = {surface}
    for lang in LANGUAGES:
        found.add(fold(lemma(word, lang)))
    return found


@lru_cache(maxsize=50_000)
def is_known(word: str) -> bool:
    """A real word of one of the desk's languages (so not a typo to be corrected)."""
    return any(simplemma.is_known(word, lang=lang) for lang in LANGUAGES)


@lru_cache(maxsize=4096)
def detect_language(query: str) -> str | None:
    """The desk language a question is most likely in, or None when nothing is recognised."""
    scores = simplemma.langdetect(query, lang=LANGUAGES)
    best, share = scores[0]
    return best if best in LANGUAGES and share > 0 else None


def is_stopword(word: str) -> bool:
    return fold(word) in STOPWORDS


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunks(text: str, size: int = 320) -> list[str]:
    """Consecutive sentences grouped up to ``size`` characters: what a question usually hits.

    A question in the text ("How long does a repair take?") opens a new chunk, so it stays
    with its answer rather than trailing the paragraph before it.
    """
    out: list[str] = []
    current = ""
    for sentence in sentences(text):
        if current and (len(current) + len(sentence) + 1 > size or sentence.endswith("?")):
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


def char_ngrams(word: str, n: int = 4) -> list[str]:
    """Character n-grams of a folded word with boundary marks: survive typos and endings."""
    padded = f"<{word}>"
    if len(padded) <= n:
        return [padded]
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]
