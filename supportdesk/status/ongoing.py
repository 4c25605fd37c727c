"""Is this about an outage we already know of? The chatbot and the new-case form ask before
anything else, so a customer asking "is the phone down?" reads the incident and its latest
update, not an article.

A question is about an ongoing incident when the reader sees one and the question either says
something is not working (in any of the desk's languages) or names the incident, one of its
components or their group.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.status import page
from supportdesk.status.models import Incident, IncidentUpdate

#: How people say that something does not work, folded to lower case without accents' loss.
TROUBLE = re.compile(
    r"\b(down|outage|not working|doesn'?t work|broken|unavailable|can'?t|cannot|fail\w*|"
    r"no service|nie działa|awari\w*|niedostępn\w*|nie mogę|przerw\w*|problem\w*|"
    r"em baixo|não funciona|avaria\w*|falh\w*|indisponível|não consigo|sem serviço|problema\w*)",
    re.IGNORECASE,
)
#: Words shorter than this in names are too common to mean the incident ("de", "the", "B").
NAME_WORD = 4


@dataclass(frozen=True)
class Ongoing:
    incident: Incident
    latest: IncidentUpdate | None

    def text(self, language: str | None) -> str:
        """One message for the chat: the incident and its latest update."""
        name = self.incident.name_in(language)
        if self.latest is None:
            return _("Ongoing incident: %(name)s.") % {"name": name}
        return _("Ongoing incident: %(name)s. %(status)s: %(update)s") % {
            "name": name,
            "status": self.latest.get_status_display(),
            "update": self.latest.body_in(language),
        }

    def as_json(self, language: str | None) -> dict:
        latest = self.latest
        return {
            "id": self.incident.pk,
            "name": self.incident.name_in(language),
            "impact": self.incident.impact,
            "status": self.incident.status,
            "latest": None
            if latest is None
            else {
                "status": latest.status,
                "body": latest.body_in(language),
                "at": latest.at.isoformat(),
            },
        }


def _names(incident: Incident) -> set[str]:
    texts = [incident.name, *incident.names.values()]
    for component in incident.components.all():
        texts += [component.name, *component.names.values()]
        if component.group is not None:
            texts += [component.group.name, *component.group.names.values()]
    words: set[str] = set()
    for text in texts:
        words.update(w for w in re.findall(r"\w+", text.casefold()) if len(w) >= NAME_WORD)
    return words


def current(user: User | None) -> list[Ongoing]:
    """The published, unresolved incidents the reader sees, with their latest updates."""
    return [Ongoing(i, next(iter(i.updates.all()), None)) for i in page.unresolved(user)]


def about(question: str, user: User | None) -> list[Ongoing]:
    """The reader's ongoing incidents this question is about (none when it is not)."""
    ongoing = current(user)
    if not ongoing:
        return []
    if TROUBLE.search(question):
        return ongoing
    words = set(re.findall(r"\w+", question.casefold()))
    return [o for o in ongoing if words & _names(o.incident)]
