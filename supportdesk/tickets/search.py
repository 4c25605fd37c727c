"""Search across cases for agents: subject, the messages' bodies, the requester (name, email,
phone) and the case number.

Every word must match somewhere (a subject word and a word of the requester's name find the
case together); a query that reads as a phone number matches the digits of the requester's
numbers however they are typed. Matching is the database's own ``icontains`` (``LIKE`` with
its wildcards escaped): PostgreSQL folds every letter's case, SQLite ASCII letters only.
Cases a search finds are ordered by how they match: the case number itself, then the subject,
then the rest, the most recently updated first.
"""

import re

from django.db import models
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from supportdesk.accounts.models import RegisteredAddress
from supportdesk.tickets.models import Case, Message

#: What is searched for at most: longer queries are cut, further words ignored.
MAX_LENGTH = 200
MAX_WORDS = 8
#: A query of only these characters, with enough digits, is a phone number.
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
_HIDDEN = re.compile(r"[\x00-\x1f\x7f]")


def clean(text: str) -> str:
    """The query as searched: no control characters (NUL included), trimmed, at most 200."""
    return " ".join(_HIDDEN.sub(" ", text or "").split())[:MAX_LENGTH]


def words(text: str) -> list[str]:
    return clean(text).split()[:MAX_WORDS]


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _word(word: str) -> Q:
    """Cases where ``word`` is in any searched field."""
    in_messages = Message.objects.filter(case=OuterRef("pk"), body__icontains=word)
    in_addresses = RegisteredAddress.objects.filter(
        contact=OuterRef("contact"), value__icontains=word
    )
    q = (
        Q(subject__icontains=word)
        | Q(reference__icontains=word)
        | Q(requester_address__icontains=word)
        | Q(contact__name__icontains=word)
        | Q(Exists(in_addresses))
        | Q(Exists(in_messages))
    )
    number = word.removeprefix("#")
    if number.isascii() and number.isdigit() and len(number) < 19:
        q |= Q(pk=int(number))
    return q


def _phone(text: str) -> Q:
    """Cases whose requester's number holds these digits (``912 345 678`` finds +351912345678)."""
    digits = _digits(text)
    in_addresses = RegisteredAddress.objects.filter(
        contact=OuterRef("contact"), value__contains=digits
    )
    return Q(requester_address__contains=digits) | Q(Exists(in_addresses))


def condition(text: str) -> Q:
    """The cases the query finds (none for an empty query), to narrow what an agent may see
    (``Case.objects.visible_to``): a search never widens it."""
    query = clean(text)
    terms = words(query)
    if not terms:
        return Q(pk__in=[])
    found = Q()
    for word in terms:
        found &= _word(word)
    if _PHONE.match(query) and len(_digits(query)) >= 6:
        found |= _phone(query)
    return found


def ordered(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Best match first: the case number itself, then the subject, then the rest; the most
    recently updated first within each."""
    query = clean(text)
    rank = models.Case(
        When(reference__iexact=query.removeprefix("#"), then=Value(0)),
        When(subject__icontains=query, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return cases.annotate(search_rank=rank).order_by("search_rank", "-updated_at", "-id")


def matching(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """The cases among ``cases`` the query finds, best match first."""
    return ordered(cases.filter(condition(text)), text)
