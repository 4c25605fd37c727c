"""The phone conversation: what the desk answers at each step of a call, and what it writes.

The carrier posts a request at each step (the call arrives, keys are pressed, a dial ends, an
agent's leg is answered, a recording or its transcription is ready, the call ends) and plays
the TwiML the desk answers. Each step is keyed by the call's ``CallSid``: a retried request
finds the call as the first one left it and changes nothing twice. Every call becomes a case
(or joins the caller's case), received as every other channel receives one (``prepare_case``,
then its write), with the number called as the address it came in on, so a plan's designated
line is recognised. The carrier waits on every step while the caller hears silence: what a
step only reads it reads before joining the writers' queue (``bench/voice.py`` measures it).
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone as djtz
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from supportdesk.accounts.middleware import showing
from supportdesk.accounts.models import Agent, Contact, User
from supportdesk.accounts.services import (
    InvalidAddress,
    contact_by_key,
    find_contact,
    normalize_phone,
)
from supportdesk.channels.voice import setup
from supportdesk.channels.voice.choices import (
    AfterHours,
    CallStep,
    OptionKind,
    Outcome,
    WebhookKind,
)
from supportdesk.channels.voice.models import (
    AgentLine,
    Call,
    CallBack,
    CarrierRequest,
    MenuOption,
    PhoneNumber,
    SupportPin,
)
from supportdesk.db import fetch_row, insert_row, save_fields, update_row, writing
from supportdesk.plans.models import kernel_for
from supportdesk.tickets import display
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import Channel, Status
from supportdesk.tickets.models import Case

#: A caller may key any case of theirs that is not closed (a resolved one reopens).
JOINABLE = (Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED)

#: How each language is spoken by the carrier's text-to-speech.
VOICES = {"pt": "pt-PT", "pl": "pl-PL", "en": "en-GB"}

#: The carrier's final call statuses, as the desk records a call that no agent answered.
UNANSWERED = {
    "busy": Outcome.BUSY,
    "no-answer": Outcome.NO_ANSWER,
    "failed": Outcome.FAILED,
    "canceled": Outcome.ABANDONED,
    "completed": Outcome.ABANDONED,
}


@dataclass(frozen=True)
class Step:
    """A carrier request as the desk reads it."""

    kind: str
    params: dict[str, str]
    at: datetime

    @property
    def sid(self) -> str:
        return self.params.get("CallSid", "")


def received(kind: str, url: str, params: dict[str, str], at: datetime) -> CarrierRequest:
    """The request as it came, to be kept with the step's writes (``handle``) or on its own
    when the step fails (``fallback``): nothing the carrier said is lost."""
    return CarrierRequest(
        kind=kind, call_sid=params.get("CallSid", "")[:64], url=url[:500], params=params,
        received_at=at,
    )  # fmt: skip


def handle(request: CarrierRequest) -> str:
    """Act on a request and answer the carrier's TwiML. The request is kept, marked done, in
    the step's own write transaction: one place in the writers' queue per request. A step
    that fails writes nothing and leaves the request to ``fallback``."""
    step = Step(request.kind, request.params, request.received_at)
    base_url, acting, read = (
        _base_url.set(_origin(request.url)),
        _acting.set(request),
        _read.set({}),
    )
    try:
        twiml = str(STEPS[request.kind](step))
        if _acting.get() is not None:  # a step that wrote nothing of its own
            with writing():
                _mark_done()
    finally:
        _read.reset(read)
        _acting.reset(acting)
        _base_url.reset(base_url)
    return twiml


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""


def fallback(request: CarrierRequest, error: Exception) -> str:
    """The desk could not write the call (a locked database, a bug): the caller still hears
    a greeting and may leave a message; the worker finishes the call from the stored request."""
    _keep_failed(request, error)
    response = VoiceResponse()
    _base_url.set(_origin(request.url))
    if request.kind in (WebhookKind.INCOMING, WebhookKind.GATHER, WebhookKind.DIAL):
        language = _number_language(request.params.get("To", ""))
        with translation.override(language):
            response.say(
                _("Sorry, we cannot put you through right now. Please leave a message."),
                language=VOICES.get(language, "en-GB"),
            )
        response.record(
            action=_url("voice_step", WebhookKind.RECORDING),
            transcribe=True,
            transcribe_callback=_url("voice_step", WebhookKind.TRANSCRIPTION),
            max_length=180,
        )
    return str(response)


def _keep_failed(request: CarrierRequest, error: Exception) -> None:
    """Keep a request its step could not act on, with the error, for the worker; a database
    that refuses even this is logged, and the carrier still gets its answer."""
    request.error = repr(error)[:2000]
    try:
        with writing():
            if request.pk is None or not update_row(
                CarrierRequest, request.pk, error=request.error
            ):
                request.pk, request.done_at = None, None  # rolled back with its step
                insert_row(request)
    except DatabaseError:
        log.exception("carrier request %s %s could not be kept", request.kind, request.call_sid)


def finish_pending(now: datetime | None = None, limit: int = 100) -> int:
    """The worker's part: act on kept requests that were never acted on, oldest first, once
    they are a minute old (the failure that left them there may pass)."""
    now = now or djtz.now()
    stale = CarrierRequest.objects.filter(
        done_at__isnull=True, received_at__lte=now - timedelta(minutes=1)
    )
    done = 0
    for request in stale.order_by("received_at")[:limit]:
        try:
            handle(request)
        except Exception as error:  # kept on the request for a person to see
            _keep_failed(request, error)
        else:
            done += 1
    return done


# ------------------------------------------------------------------------- small helpers


#: Where the carrier reached the desk (scheme and host): the desk's callbacks go there too.
_base_url: ContextVar[str] = ContextVar("carrier_base_url", default="")

#: The request being acted on, until its step's writes keep it, done.
_acting: ContextVar[CarrierRequest | None] = ContextVar("carrier_request", default=None)

#: What one request has read (a number, a menu's options, a team's lines): a step reads it
#: before its write transaction, and finds it again inside.
_read: ContextVar[dict[tuple[object, ...], object] | None] = ContextVar(
    "carrier_request_reads", default=None
)

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def _once(key: tuple[object, ...], read: Callable[[], T]) -> T:
    """``read()``, once per request."""
    done = _read.get()
    if done is None:
        return read()
    if key not in done:
        done[key] = read()
    return done[key]  # type: ignore[return-value]


def _mark_done() -> None:
    request = _acting.get()
    if request is not None:
        request.done_at, request.error = djtz.now(), ""
        if request.pk is None:
            insert_row(request)
        else:  # kept earlier by a failure, now finished by the worker
            update_row(CarrierRequest, request.pk, done_at=request.done_at, error="")
        _acting.set(None)


@contextmanager
def _writes() -> Iterator[None]:
    """A step's write transaction, which also marks its request done: one place in the
    writers' queue per step. What the step only reads comes before it."""
    with writing():
        yield
        _mark_done()


def _url(name: str, kind: str, **query: object) -> str:
    path = reverse(name, args=[kind])
    if query:
        path += "?" + urlencode(query)
    return (_base_url.get() or settings.PUBLIC_URL or settings.SITE_URL.rstrip("/")) + path


def _normalized(number: str) -> str:
    try:
        return normalize_phone(number)
    except InvalidAddress:
        return number.strip()


def _number_language(to: str) -> str:
    number = PhoneNumber.objects.filter(number=_normalized(to)).only("language").first()
    return number.language if number else "en"


def _say(response: VoiceResponse | Gather, call: Call, text: str) -> None:
    response.say(text, language=VOICES.get(call.language, "en-GB"))


def _text(texts: dict[str, str], language: str) -> str:
    """A world-file text in the caller's language, else English, else any."""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def _first(query: QuerySet[M]) -> M | None:
    """The row a lookup by a unique key finds, without the ordering ``first()`` adds."""
    return next(iter(query.order_by()[:1]), None)


def _locked_call(sid: str) -> Call | None:
    """The call's row, locked until the step's writes commit: a step reads what the call
    refers to only when it needs it."""
    return fetch_row(Call, sid=sid, lock=True)


#: What the steps of a call change on it: each step saves what it changed, once.
CONVERSATION = (
    "contact_id",
    "organization_id",
    "language",
    "step",
    "menu_id",
    "keys",
    "pin_tries",
    "team_id",
    "case_id",
    "answered_at",
    "answered_by_id",
    "ended_at",
    "duration",
    "outcome",
    "recording_url",
    "transcription",
)


def _as_read(call: Call) -> tuple[object, ...]:
    return tuple(getattr(call, field) for field in CONVERSATION)


def _save_changes(call: Call, read: tuple[object, ...]) -> None:
    changed = [f for f, was in zip(CONVERSATION, read, strict=True) if getattr(call, f) != was]
    if changed:
        save_fields(call, *changed)


def _setup(key: tuple[object, ...], read: Callable[[], T]) -> T:
    """Rows of the phone's set-up, kept by the process while its revision stands."""
    return _once(key, lambda: setup.kept(key, read, _once(("revision",), setup.revision)))


#: A number's hours and menu answer every call; its brand is the provider of the call's case.
NUMBERS = PhoneNumber.objects.select_related("calendar", "menu", "brand")


def _phone_number(number: str) -> PhoneNumber | None:
    return _setup(("number", number), lambda: _first(NUMBERS.filter(number=number)))


def _phone_number_by_key(pk: int) -> PhoneNumber | None:
    return _setup(("number-pk", pk), lambda: _first(NUMBERS.filter(pk=pk)))


def _options(menu_id: int) -> list[MenuOption]:
    return _setup(("options", menu_id), lambda: list(MenuOption.objects.filter(menu=menu_id)))


def _option(menu_id: int | None, key: str) -> MenuOption | None:
    if menu_id is None:
        return None
    return next((option for option in _options(menu_id) if option.key == key), None)


# ------------------------------------------------------------------------- the case


def _caller(call: Call) -> None:
    """Who called, their organization and the number they called, read for the case the call
    opens: the contact with its organization, the number from the set-up."""
    if call.number_id is not None:
        call.number = _phone_number_by_key(call.number_id)
    if call.contact_id is not None:
        contact = contact_by_key(call.contact_id)
        call.contact = contact
        if contact is not None and contact.organization_id == call.organization_id:
            call.organization = contact.organization


def _case_opening(call: Call) -> cases.CaseOpening:
    """The case the call opens, worked out once per request for the caller as the call names
    them (a step may work it out before its write transaction, see ``_read_ahead``)."""

    def prepare() -> cases.CaseOpening:
        _caller(call)
        return cases.prepare_case(
            subject=_("Phone call from %(number)s") % {"number": call.from_number},
            body=_("Called %(number)s.") % {"number": call.to_number},
            channel=Channel.PHONE,
            contact=call.contact,
            organization=call.organization,
            sender=call.from_number if call.contact is None else "",
            received_via=call.to_number,
            brand=call.number.brand if call.number is not None else None,
            at=call.rang_at,
            identify_sender=False,
        )

    return _once(("case", call.pk, call.contact_id, call.organization_id, call.language), prepare)


def _open_case(call: Call) -> None:
    """Open the call's case on the first step that needs one; the step saves the call."""
    if call.case_id is None:
        call.case = _case_opening(call).write()


# ------------------------------------------------------------------------- answers


def _menu(call: Call, *, again: bool = False) -> VoiceResponse:
    response = VoiceResponse()
    if call.menu_id is None:
        return _voicemail(call)
    gather = Gather(
        num_digits=1,
        action=_url("voice_step", WebhookKind.GATHER),
        timeout=8,
    )
    if again:
        _say(gather, call, _("That is not one of the options."))
    else:
        menu = call.menu
        greeting = _text(menu.greeting, call.language) if menu is not None else ""
        if greeting:
            _say(gather, call, greeting)
    for option in _options(call.menu_id):
        if option.play_url:
            gather.play(option.play_url)
        else:
            label = _text(option.label, call.language)
            _say(
                gather,
                call,
                _("For %(label)s, press %(key)s.") % {"label": label, "key": option.key},
            )
    response.append(gather)
    # No key pressed: the caller is taken to voicemail rather than left in silence.
    response.redirect(_url("voice_step", WebhookKind.GATHER, timeout=1))
    return response


def _ask_digits(call: Call, prompt: str) -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(action=_url("voice_step", WebhookKind.GATHER), finish_on_key="#", timeout=10)
    _say(gather, call, prompt)
    response.append(gather)
    response.redirect(_url("voice_step", WebhookKind.GATHER, timeout=1))
    return response


def _voicemail(call: Call, prompt: str | None = None) -> VoiceResponse:
    call.step = CallStep.VOICEMAIL
    _open_case(call)
    response = VoiceResponse()
    _say(response, call, prompt or _("Please leave a message after the tone."))
    response.record(
        action=_url("voice_step", WebhookKind.RECORDING),
        transcribe=True,
        transcribe_callback=_url("voice_step", WebhookKind.TRANSCRIPTION),
        max_length=180,
    )
    return response


def _ring(call: Call, lines: list[AgentLine]) -> VoiceResponse:
    """Ring every line at once; the first to answer has the call, none answering: voicemail."""
    reachable = [line for line in lines if line.phone or line.softphone]
    if not reachable:
        return _voicemail(call, _("Nobody can take your call right now. Please leave a message."))
    _open_case(call)
    call.step = CallStep.RINGING
    response = VoiceResponse()
    _say(response, call, _("Please hold, we are putting you through."))
    dial = Dial(
        action=_url("voice_step", WebhookKind.DIAL),
        timeout=settings.PHONE_RING_SECONDS,
        caller_id=call.to_number,
    )
    for line in reachable:
        leg = {
            "status_callback": _url("voice_step", WebhookKind.LEG, agent=line.agent_id),
            "status_callback_event": "answered completed",
        }
        if line.phone:
            dial.number(line.phone, **leg)
        if line.softphone:
            dial.client(line.softphone, **leg)
    response.append(dial)
    return response


def _team_lines(team_id: int) -> list[AgentLine]:
    return _setup(
        ("team", team_id),
        lambda: list(
            AgentLine.objects.filter(agent__teams=team_id, available=True)
            .exclude(phone="", softphone="")
            .order_by("agent_id")
        ),
    )


def _extension_line(digits: str) -> AgentLine | None:
    return _setup(
        ("extension", digits),
        lambda: AgentLine.objects.filter(extension=digits, available=True).first(),
    )


def _support_pin(digits: str) -> SupportPin | None:
    return _once(
        ("pin", digits),
        lambda: (
            SupportPin.objects.select_related("contact", "organization").filter(pin=digits).first()
        ),
    )


def _closed(call: Call, number: PhoneNumber, at: datetime) -> VoiceResponse | None:
    """Out of the number's hours: forward to the around-the-clock line, or take a message."""
    kernel = kernel_for(number.calendar)
    if number.calendar is None or kernel.is_open(at):
        return None
    if number.after_hours == AfterHours.FORWARD and number.forward_to is not None:
        response = VoiceResponse()
        response.dial(number.forward_to.number, caller_id=call.from_number)
        return response
    opening = kernel.next_open(at)
    # Said in the number's own zone, to callers of its country: no zone name spoken.
    local = ZoneInfo(number.calendar.timezone)
    with showing(local, local):
        when = display.promise_time(opening, at)
    prompt = _("We are closed now. We open again %(when)s. Please leave a message after the tone.")
    return _voicemail(call, prompt % {"when": when})


def _pins_exist() -> bool:
    return _setup(("pins",), SupportPin.objects.exists)


def incoming(step: Step) -> VoiceResponse:
    """A call arrives: who is calling, is the line open, and the menu."""
    params = step.params
    to = _normalized(params.get("To", ""))
    number = _phone_number(to)
    contact = find_contact(params.get("From", ""))
    language = (
        (contact.language if contact and contact.language else "")
        or (number.language if number else "")
        or "en"
    )
    call = Call(
        sid=step.sid,
        from_number=_normalized(params.get("From", "")),
        to_number=to,
        number=number,
        contact=contact,
        organization=contact.organization if contact else None,
        language=language if language in VOICES else "en",
        menu=number.menu if number else None,
        rang_at=step.at,
    )
    ask_pin = number is not None and contact is None and _pins_exist()
    if number is not None and number.menu_id is not None and not ask_pin:
        _options(number.menu_id)
    with _writes():
        try:
            with transaction.atomic():
                insert_row(call)
        except IntegrityError:  # the carrier retried: the same call, asked again where it stands
            retried = _locked_call(step.sid)
            if retried is None:
                raise
            return _resume(retried)
        inserted = _as_read(call)
        with translation.override(call.language):
            if number is None:
                answer = _voicemail(call)
            elif (closed := _closed(call, number, step.at)) is not None:
                answer = closed
            elif ask_pin:
                call.step = CallStep.PIN
                answer = _ask_digits(call, _("Please key your support PIN, then the hash key."))
            else:
                answer = _menu(call)
        _save_changes(call, inserted)
    return answer


def _resume(call: Call) -> VoiceResponse:
    with translation.override(call.language):
        if call.step == CallStep.PIN:
            return _ask_digits(call, _("Please key your support PIN, then the hash key."))
        if call.step == CallStep.MENU:
            return _menu(call)
        if call.step == CallStep.VOICEMAIL:
            return _voicemail(call)
        return VoiceResponse()


def _pin(call: Call, digits: str) -> VoiceResponse:
    found = _support_pin(digits)
    if found is not None:
        call.contact = found.contact
        call.organization = found.organization
        if found.contact is not None and found.contact.language in VOICES:
            call.language = found.contact.language
        call.step = CallStep.MENU
        with translation.override(call.language):
            return _menu(call)
    call.pin_tries += 1
    if call.pin_tries < settings.PHONE_PIN_TRIES:
        return _ask_digits(call, _("That PIN was not recognised. Please key it again."))
    call.step = CallStep.MENU
    return _menu(call)


def _choose(call: Call, key: str) -> VoiceResponse:
    option = _option(call.menu_id, key)
    if option is None:
        return _menu(call, again=True)
    call.keys = (call.keys + key)[:64]
    if option.kind == OptionKind.TEAM and option.team_id is not None:
        call.team_id = option.team_id
        return _ring(call, _team_lines(option.team_id))
    if option.kind == OptionKind.SUBMENU:
        call.menu = option.submenu
        return _menu(call)
    if option.kind == OptionKind.EXTENSION:
        call.step = CallStep.EXTENSION
        return _ask_digits(call, _("Please key the extension, then the hash key."))
    if option.kind == OptionKind.EXISTING_CASE:
        call.step = CallStep.CASE_NUMBER
        return _ask_digits(call, _("Please key your case number, then the hash key."))
    return _voicemail(call)


def _extension(call: Call, digits: str) -> VoiceResponse:
    found = _extension_line(digits)
    if found is None:
        call.step = CallStep.MENU
        return _menu(call, again=True)
    return _ring(call, [found])


def _existing_case(call: Call, digits: str) -> VoiceResponse:
    """The caller's own organization's open case joins the call; any other number does not."""
    case = None
    if digits.isdigit() and call.organization_id is not None:
        case = Case.objects.filter(
            pk=int(digits), organization_id=call.organization_id, status__in=JOINABLE
        ).first()
    if case is None:
        call.step = CallStep.MENU
        return _ask_digits(call, _("We could not find that case. Please key the number again."))
    call.case = case
    cases.add_customer_message(
        case,
        body=_("The customer called about this case from %(number)s.")
        % {"number": call.from_number},
        contact=call.contact,
        sender=call.from_number,
        at=call.rang_at,
    )
    lines = []
    if case.assignee_id is not None:
        lines = list(AgentLine.objects.filter(agent__user=case.assignee_id, available=True))
    if not lines and case.team_id is not None:
        lines = _team_lines(case.team_id)
    return _ring(call, lines)


def _read_ahead(sid: str, digits: str) -> None:
    """What the keys will need where the call stood a moment ago (the menu's options, the
    team's lines, the PIN or extension keyed, the case that ringing or voicemail opens), read
    before the write transaction; a call that moved meanwhile has the rest read inside it."""
    seen = fetch_row(Call, sid=sid)
    if seen is None:
        return
    rings = False
    if digits and seen.step == CallStep.PIN:
        _support_pin(digits)
    elif digits and seen.step == CallStep.EXTENSION:
        _extension_line(digits)
    elif digits and seen.step == CallStep.MENU and seen.menu_id is not None:
        option = _option(seen.menu_id, digits[:1])
        if option is not None and option.kind == OptionKind.TEAM and option.team_id is not None:
            _team_lines(option.team_id)
            rings = True
    # Ringing, and voicemail when no key was pressed, open the call's case.
    if (rings or not digits) and seen.case_id is None:
        with translation.override(seen.language):
            _case_opening(seen)


def gather(step: Step) -> VoiceResponse:
    """Keys pressed (or none: ``timeout`` in the URL), read by where the call stands."""
    digits = step.params.get("Digits", "")
    _read_ahead(step.sid, digits)
    with _writes():
        call = _locked_call(step.sid)
        if call is None:
            return VoiceResponse()
        read = _as_read(call)
        with translation.override(call.language):
            if not digits:
                answer = _voicemail(call)
            elif call.step == CallStep.PIN:
                answer = _pin(call, digits)
            elif call.step == CallStep.EXTENSION:
                answer = _extension(call, digits)
            elif call.step == CallStep.CASE_NUMBER:
                answer = _existing_case(call, digits)
            elif call.step == CallStep.MENU:
                answer = _choose(call, digits[:1])
            else:
                answer = VoiceResponse()
        _save_changes(call, read)
    return answer


def dial_finished(step: Step) -> VoiceResponse:
    """The ringing ended: answered and done, or nobody took it and the caller may leave a
    message."""
    response = VoiceResponse()
    if step.params.get("DialCallStatus") in ("completed", "answered"):
        # Answered and done, whatever the call says: nothing to write, so nothing to lock.
        if fetch_row(Call, sid=step.sid) is not None:
            response.hangup()
        return response
    with _writes():
        call = _locked_call(step.sid)
        if call is None:
            return response
        if call.answered_at:
            response.hangup()
            return response
        read = _as_read(call)
        with translation.override(call.language):
            answer = _voicemail(
                call, _("Nobody could take your call. Please leave a message after the tone.")
            )
        _save_changes(call, read)
    return answer


def leg(step: Step) -> VoiceResponse:
    """A leg the desk dialled was answered: an agent picking up a customer's call, or the
    customer picking up an agent's call back. Either is the first response, at that instant."""
    status = step.params.get("CallStatus", "")
    if status not in ("in-progress", "answered"):
        return VoiceResponse()
    parent = step.params.get("ParentCallSid") or step.sid
    agent = _answering_agent(step)
    if agent is None:
        return VoiceResponse()
    with _writes():
        call = _locked_call(parent)
        if call is None or call.answered_at is not None:
            return VoiceResponse()
        read = _as_read(call)
        call.answered_at = step.at
        call.answered_by = agent
        call.outcome = Outcome.ANSWERED
        _open_case(call)
        _save_changes(call, read)
        if call.case_id is not None:  # just opened, if it was not before
            cases.answer_call(call.case_id, agent=agent, at=step.at)
    return VoiceResponse()


def _answering_agent(step: Step) -> User | None:
    """The agent whose line answered (``agent``), or who placed the call back (``callback``)."""
    agent_id, callback_id = step.params.get("agent", ""), step.params.get("callback", "")
    if agent_id.isdigit():
        agent = fetch_row(Agent, pk=int(agent_id))
        user = fetch_row(User, pk=agent.user_id) if agent is not None else None
        if agent is None or user is None:
            return None
        agent.user = user  # and the user knows its agent
        return user
    if callback_id.isdigit():
        return _first(User.objects.filter(call_backs_placed__pk=int(callback_id)))
    return None


def outbound(step: Step) -> VoiceResponse:
    """The agent answered their call back: now ring the customer."""
    callback_id = step.params.get("callback", "")
    response = VoiceResponse()
    found = CallBack.objects.filter(pk=int(callback_id)).first() if callback_id.isdigit() else None
    if found is None:
        response.hangup()
        return response
    language = found.agent.language or "en"
    with translation.override(language):
        response.say(
            _("Calling the customer of case %(case)s.") % {"case": found.case.label},
            language=VOICES.get(language, "en-GB"),
        )
    dial = Dial(caller_id=found.caller_id, timeout=settings.PHONE_RING_SECONDS)
    dial.number(
        found.customer_number,
        status_callback=_url("voice_step", WebhookKind.LEG, callback=found.pk),
        status_callback_event="answered completed",
    )
    response.append(dial)
    return response


def recording(step: Step) -> VoiceResponse:
    with _writes():
        call = _locked_call(step.sid)
        if call is None:
            return VoiceResponse()
        read = _as_read(call)
        call.recording_url = step.params.get("RecordingUrl", "")[:200]
        if not call.answered_at:
            call.outcome = Outcome.VOICEMAIL
        _open_case(call)
        _save_changes(call, read)
    response = VoiceResponse()
    with translation.override(call.language):
        _say(response, call, _("Thank you. We have your message and will call you back."))
    response.hangup()
    return response


def transcription(step: Step) -> VoiceResponse:
    """The voicemail's words become the customer's message on the case."""
    text = step.params.get("TranscriptionText", "").strip()
    with _writes():
        call = _locked_call(step.sid)
        if call is None or not text or call.transcription:
            return VoiceResponse()
        read = _as_read(call)
        call.transcription = text
        _open_case(call)
        _save_changes(call, read)
        with translation.override(call.language):
            body = _("Voicemail: %(text)s") % {"text": text}
        if call.case is not None:  # just opened, if it was not before
            cases.add_customer_message(
                call.case, body=body, contact=call.contact, sender=call.from_number, at=step.at
            )
    return VoiceResponse()


def status(step: Step) -> VoiceResponse:
    """The call ended: how, and for how long. A call nobody answered keeps its case's
    first-response clock running until an agent replies or calls back."""
    final = step.params.get("CallStatus", "")
    with _writes():
        call = _locked_call(step.sid)
        if call is None or call.ended_at is not None:
            return VoiceResponse()
        read = _as_read(call)
        call.ended_at = step.at
        duration = step.params.get("CallDuration", "")
        call.duration = int(duration) if duration.isdigit() else None
        if not call.outcome:
            call.outcome = UNANSWERED.get(final, Outcome.ABANDONED)
        call.step = CallStep.ENDED
        _open_case(call)
        _save_changes(call, read)
    return VoiceResponse()


STEPS: dict[str, Callable[[Step], VoiceResponse]] = {
    WebhookKind.INCOMING: incoming,
    WebhookKind.GATHER: gather,
    WebhookKind.DIAL: dial_finished,
    WebhookKind.LEG: leg,
    WebhookKind.RECORDING: recording,
    WebhookKind.TRANSCRIPTION: transcription,
    WebhookKind.STATUS: status,
    WebhookKind.OUTBOUND: outbound,
}


def contact_pin(contact: Contact) -> str | None:
    pin = SupportPin.objects.filter(contact=contact).values_list("pin", flat=True).first()
    if pin:
        return pin
    return (
        SupportPin.objects.filter(organization_id=contact.organization_id, contact__isnull=True)
        .values_list("pin", flat=True)
        .first()
    )
