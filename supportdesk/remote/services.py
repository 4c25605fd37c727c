"""The only write path for remote help: asking the customer's consent, the customer giving it,
and the one session each consent allows, started and ended by the agent.

The customer consents every time: a request is answered within 15 minutes of asking or
lapses, and a consent no session used within 15 minutes lapses too. A session needs a fresh,
unused consent and the agent's confirmation that the user typed their password themselves
(the agent never sees it). Every step writes its case event in the same transaction; the
request's link goes to the customer by mail and, where they have a phone number and the desk
an SMS number, by text, through the outbox.
"""

import ipaddress
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from supportdesk.accounts.access import Action
from supportdesk.accounts.models import Contact, User
from supportdesk.db import writing
from supportdesk.remote.choices import Tool
from supportdesk.remote.errors import RemoteError, RemoteErrorCode
from supportdesk.remote.models import CONSENT_LIFETIME, ConsentRequest, RemoteSession
from supportdesk.tickets import events, outbox
from supportdesk.tickets.choices import EventKind, Status
from supportdesk.tickets.models import Case

#: How much of a browser's User-Agent header is kept.
USER_AGENT_LENGTH = 500


def _require_agent(user: User | None) -> None:
    if user is None or not user.is_agent:
        raise RemoteError(RemoteErrorCode.NOT_AN_AGENT, _("Only agents can do this."))


def _require_open(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise RemoteError(
            RemoteErrorCode.CLOSED, _("Case %(case)s is closed.") % {"case": case.label}
        )


def _when(instant: datetime) -> str:
    return formats.date_format(timezone.localtime(instant), "SHORT_DATETIME_FORMAT")


def _language(contact: Contact) -> str:
    chosen = contact.language or (contact.user.language if contact.user else "")
    return (chosen or settings.LANGUAGE_CODE)[:2]


def consent_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("remote:consent_link", args=[token])


def _notify(
    case: Case, contact: Contact, agent: User | None, token: str, at: datetime
) -> list[str]:
    """Mail the link, and text it where the contact has a number; the addresses told."""
    link = consent_link(token)
    sent = []
    with translation.override(_language(contact)):
        who = str(agent) if agent is not None else _("Our support agent")
        if contact.email:
            subject = _("[%(case)s] Remote help: may we connect to your computer?") % {
                "case": case.label
            }
            body = "\n".join(
                [
                    _("Hello %(name)s,") % {"name": contact.name},
                    "",
                    _(
                        "%(agent)s would like to connect to your computer to help with case "
                        "%(case)s: %(subject)s"
                    )
                    % {"agent": who, "case": case.label, "subject": case.subject},
                    "",
                    _(
                        "You watch everything the agent does and can end the session at any "
                        "time. The agent never asks for your passwords: when one is needed, "
                        "you type it yourself."
                    ),
                    "",
                    _("To consent, sign in and open this link within 15 minutes:"),
                    link,
                    "",
                    _(
                        "If you did not expect this, ignore this message: nothing happens "
                        "without your consent."
                    ),
                ]
            )
            outbox.queue(case, to=contact.email, subject=subject, body=body, at=at, automatic=True)
            sent.append(contact.email)
        if contact.phone and settings.SMS_FROM:
            text = _(
                "%(case)s: %(agent)s asks to connect to your computer. Consent within 15 "
                "minutes: %(link)s"
            ) % {"case": case.label, "agent": who, "link": link}
            outbox.queue_text(case, to=contact.phone, body=text, at=at)
            sent.append(contact.phone)
    return sent


def ask_consent(
    case: Case, *, agent: User | None, at: datetime | None = None, notify: bool = True
) -> tuple[ConsentRequest, str]:
    """Ask the case's contact to consent to a remote session; the request and its token (the
    link's secret, shown nowhere else). ``agent`` None: a request imported from another
    tool's history, which tells nobody."""
    at = at or timezone.now()
    if agent is not None or notify:
        _require_agent(agent)
    with writing():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("contact").get(pk=case.pk)
        )
        _require_open(case)
        contact = case.contact
        if contact is None:
            raise RemoteError(
                RemoteErrorCode.NO_CONTACT,
                _("This case has no registered contact to ask for consent."),
            )
        token = ConsentRequest.new_token()
        request = ConsentRequest.objects.create(
            case=case,
            asked_by=agent,
            asked_at=at,
            digest=ConsentRequest.hash(token),
            expires_at=at + CONSENT_LIFETIME,
        )
        sent = _notify(case, contact, agent, token, at) if notify else []
        events.remote_asked(case, at, agent=agent, expires=request.expires_at, to=sent).save()
    return request, token


def _address(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        raise RemoteError(
            RemoteErrorCode.INVALID, _("%(ip)s is not an IP address.") % {"ip": ip}, "ip"
        ) from None


def give_consent(
    request: ConsentRequest,
    *,
    contact: Contact,
    ip: str | None,
    user_agent: str,
    at: datetime | None = None,
) -> ConsentRequest:
    """The customer consents, once, before the request lapses; who, when, from which address
    and browser are kept. Only a contact who sees the case may consent."""
    at = at or timezone.now()
    address = _address(ip)
    with writing():
        request = ConsentRequest.objects.select_for_update().get(pk=request.pk)
        if not Case.objects.for_contact(contact, Action.CHANGE).filter(pk=request.case_id).exists():
            raise RemoteError(
                RemoteErrorCode.WRONG_PERSON,
                _("This request for consent was not sent to you."),
            )
        if request.consented_at is not None:
            raise RemoteError(
                RemoteErrorCode.USED,
                _("Consent was already given to this request on %(when)s.")
                % {"when": _when(request.consented_at)},
            )
        if at >= request.expires_at:
            raise RemoteError(
                RemoteErrorCode.EXPIRED,
                _(
                    "This request expired on %(when)s, 15 minutes after it was sent. Ask the "
                    "agent for a new one."
                )
                % {"when": _when(request.expires_at)},
            )
        request.consented_by = contact
        request.consented_at = at
        request.expires_at = at + CONSENT_LIFETIME
        request.ip_address = address
        request.user_agent = user_agent[:USER_AGENT_LENGTH]
        request.save()
        events.remote_consented(
            request.case,
            at,
            actor=contact.user,
            contact=contact.email or contact.name,
            ip=address,
            browser=request.user_agent,
        ).save()
    return request


def _fresh_consent(case: Case, at: datetime) -> ConsentRequest:
    """The case's latest consent that is given, unused and not lapsed at ``at``; else the
    refusal that says why there is none."""
    requests = list(
        ConsentRequest.objects.select_for_update()
        .filter(case=case, asked_at__lte=at)
        .order_by("-asked_at", "-id")
    )
    used = set(
        RemoteSession.objects.filter(consent__in=requests).values_list("consent_id", flat=True)
    )
    for request in requests:
        if (
            request.consented_at is not None
            and request.consented_at <= at < request.expires_at
            and request.pk not in used
        ):
            return request
    latest = requests[0] if requests else None
    if latest is not None and latest.pk in used:
        raise RemoteError(
            RemoteErrorCode.USED,
            _("The customer's consent was used for a session already: ask for it again."),
        )
    if latest is not None and latest.consented_at is not None:
        raise RemoteError(
            RemoteErrorCode.EXPIRED,
            _("The customer's consent lapsed on %(when)s unused: ask for it again.")
            % {"when": _when(latest.expires_at)},
        )
    raise RemoteError(
        RemoteErrorCode.NOT_GIVEN,
        _("The customer has not given consent: a session cannot start without it."),
    )


def _session_event(session: RemoteSession, kind: str, at: datetime, agent: User | None):
    return events.remote_session(
        session.case,
        kind,
        at,
        agent=agent,
        tool=session.tool,
        tool_name="" if session.tool == Tool.OTHER else str(Tool(session.tool).label),
        session=session.session_id,
        start=session.started_at,
        end=session.ended_at,
    )


def start_session(
    case: Case,
    *,
    agent: User,
    tool: str,
    session_id: str,
    password_typed_by_user: bool,
    at: datetime | None = None,
) -> RemoteSession:
    """Start a session under the case's fresh consent, which it uses up."""
    at = at or timezone.now()
    _require_agent(agent)
    if tool not in Tool.values:
        raise RemoteError(
            RemoteErrorCode.INVALID, _("Unknown tool %(tool)s.") % {"tool": tool}, "tool"
        )
    session_id = session_id.strip()
    if not session_id or len(session_id) > 100:
        raise RemoteError(
            RemoteErrorCode.INVALID,
            _("Enter the session id the tool shows (at most 100 characters)."),
            "session_id",
        )
    if not password_typed_by_user:
        raise RemoteError(
            RemoteErrorCode.NO_PASSWORD_CONFIRMATION,
            _("Confirm that the user types their password themselves before you start."),
            "password_typed_by_user",
        )
    with writing():
        case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
        _require_open(case)
        consent = _fresh_consent(case, at)
        session = RemoteSession.objects.create(
            case=case,
            consent=consent,
            agent=agent,
            tool=tool,
            session_id=session_id,
            started_at=at,
            password_typed_by_user=True,
        )
        _session_event(session, EventKind.REMOTE_STARTED, at, agent).save()
    return session


def end_session(
    session: RemoteSession, *, agent: User, notes: str = "", at: datetime | None = None
) -> RemoteSession:
    """End a running session with what was done."""
    at = at or timezone.now()
    _require_agent(agent)
    with writing():
        session = (
            RemoteSession.objects.select_for_update().select_related("case").get(pk=session.pk)
        )
        if session.ended_at is not None:
            raise RemoteError(RemoteErrorCode.ENDED, _("This session has ended already."))
        if at < session.started_at:
            raise RemoteError(
                RemoteErrorCode.INVALID,
                _("A session cannot end before it started (%(when)s).")
                % {"when": _when(session.started_at)},
                "end",
            )
        session.ended_at = at
        session.notes = notes.strip()
        session.save(update_fields=["ended_at", "notes"])
        _session_event(session, EventKind.REMOTE_ENDED, at, agent).save()
    return session
