"""A case's remote sessions over HTTP (read only): the tool, the session id, when, and whose
consent allowed it. Seen by whoever sees the case; the agent's notes by agents only."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from supportdesk.accounts.access import works_the_desk
from supportdesk.api import errors
from supportdesk.api.auth import caller
from supportdesk.api.schemas import Id
from supportdesk.remote.choices import Tool
from supportdesk.remote.models import RemoteSession
from supportdesk.tickets.models import Case

router = Router(tags=["remote help"])


class ConsentOut(Schema):
    consented_by: str | None
    consented_at: datetime | None
    ip_address: str | None
    user_agent: str


class RemoteSessionOut(Schema):
    id: int
    tool: Tool
    session_id: str
    agent: str | None
    started_at: datetime
    ended_at: datetime | None
    notes: str | None
    password_typed_by_user: bool
    consent: ConsentOut


@router.get("/{case_id}/remote-sessions", response={200: list[RemoteSessionOut], **errors.READ_ONE})
def list_remote_sessions(request: HttpRequest, case_id: Id) -> list[dict]:
    """The case's remote sessions, oldest first; two queries whatever their number."""
    user = caller(request)
    if not Case.objects.visible_to(user).filter(pk=case_id).exists():
        raise Http404
    agent = works_the_desk(user)
    sessions = RemoteSession.objects.filter(case_id=case_id).select_related(
        "agent", "consent", "consent__consented_by"
    )
    return [
        {
            "id": s.pk,
            "tool": s.tool,
            "session_id": s.session_id,
            "agent": s.agent.email if s.agent else None,
            "started_at": s.started_at,
            "ended_at": s.ended_at,
            "notes": s.notes if agent else None,
            "password_typed_by_user": s.password_typed_by_user,
            "consent": {
                "consented_by": str(s.consent.consented_by) if s.consent.consented_by else None,
                "consented_at": s.consent.consented_at,
                "ip_address": s.consent.ip_address,
                "user_agent": s.consent.user_agent,
            },
        }
        for s in sessions
    ]
