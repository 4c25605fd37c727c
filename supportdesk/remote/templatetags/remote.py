"""What the case pages show of remote help: the agent's section and the customer's notice."""

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone

from supportdesk.remote.choices import ConsentState
from supportdesk.remote.forms import EndSessionForm, StartSessionForm
from supportdesk.remote.models import ConsentRequest, RemoteSession
from supportdesk.tickets.models import Case

register = template.Library()

#: The agent's section lists this many of the latest requests.
SHOWN_REQUESTS = 5


@dataclass(frozen=True)
class RequestRow:
    consent: ConsentRequest
    state: ConsentState

    @property
    def label(self) -> str:
        return str(self.state.label)


@dataclass
class CaseRemote:
    requests: list[RequestRow]
    sessions: list[RemoteSession]
    now: datetime

    @property
    def can_start(self) -> bool:
        return any(row.state == ConsentState.GIVEN for row in self.requests)

    @property
    def running(self) -> list[RemoteSession]:
        return [s for s in self.sessions if s.ended_at is None]

    @property
    def start_form(self) -> StartSessionForm:
        return StartSessionForm()

    @property
    def end_form(self) -> EndSessionForm:
        return EndSessionForm()


@register.simple_tag
def case_remote(case: Case) -> CaseRemote:
    """The case's latest requests with their state now, and its sessions (agent's page), in
    one query: every session hangs on a request."""
    now = timezone.now()
    requests = list(
        case.consent_requests.select_related(
            "asked_by", "consented_by", "session", "session__agent"
        )
    )
    sessions = [r.session for r in requests if hasattr(r, "session")]
    return CaseRemote(
        [RequestRow(r, r.state(now)) for r in requests[:SHOWN_REQUESTS]],
        sorted(sessions, key=lambda s: (s.started_at, s.pk)),
        now,
    )


@register.simple_tag
def pending_consents(case: Case) -> list[ConsentRequest]:
    """Requests the customer can still answer (the portal's case page)."""
    now = timezone.now()
    waiting = case.consent_requests.filter(consented_at__isnull=True, expires_at__gt=now)
    return list(waiting.select_related("asked_by"))
