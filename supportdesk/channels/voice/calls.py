"""The phone conversation: what the desk answers at each step of a call, and what it writes.

The carrier posts a request at each step (the call arrives, keys are pressed, a dial ends, an
agent's leg is answered, a recording or its transcription is ready, the call ends) and plays
the TwiML the desk answers. Each step is keyed by the call's ``CallSid``: a retried request
finds the call as the first one left it and changes nothing twice. Every call becomes a case
(or joins the caller's case), through the same ``open_case`` as every other channel, with the
number called as the address it came in on, so a plan's designated line is recognised.
"""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone as djtz
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from supportdesk.accounts.models import Agent, Contact, User
from supportdesk.accounts.services import InvalidAddress, find_contact, normalize_phone
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
from supportdesk.db import writing
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


def store(kind: str, url: str, params: dict[str, str], at: datetime) -> CarrierRequest:
    """Keep the request as it came before acting on it: nothing the carrier said is lost."""
    with writing():
        return CarrierRequest.objects.create(
            kind=kind,
            call_sid=params.get("CallSid", "")[:64],
            url=url[:500],
            params=params,
            received_at=at,
        )


def handle(request: CarrierRequest) -> str:
    """Act on a stored request and answer the carrier's TwiML; the request is marked done."""
    step = Step(request.kind, request.params, request.received_at)
    token = _base_url.set(_origin(request.url))
    try:
        twiml = str(STEPS[request.kind](step))
    finally:
        _base_url.reset(token)
    CarrierRequest.objects.filter(pk=request.pk).update(done_at=djtz.now(), error="")
    return twiml


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""


def fallback(request: CarrierRequest, error: Exception) -> str:
    """The desk could not write the call (a locked database, a bug): the caller still hears
    a greeting and may leave a message; the worker finishes the call from the stored request."""
    if request.pk is not None:
        CarrierRequest.objects.filter(pk=request.pk).update(error=repr(error)[:2000])
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


def finish_pending(now: datetime | None = None, limit: int = 100) -> int:
    """The worker's part: act on stored requests that were never acted on, oldest first. A
    request younger than a minute may still be in a web process's hands, so it waits."""
    now = now or djtz.now()
    stale = CarrierRequest.objects.filter(
        done_at__isnull=True, received_at__lte=now - timedelta(minutes=1)
    )
    done = 0
    for request in stale.order_by("received_at")[:limit]:
        try:
            handle(request)
        except Exception as error:  # kept on the request for a person to see
            CarrierRequest.objects.filter(pk=request.pk).update(error=repr(error)[:2000])
        else:
            done += 1
    return done


# ------------------------------------------------------------------------- small helpers


#: Where the carrier reached the desk (scheme and host): the desk's callbacks go there too.
_base_url: ContextVar[str] = ContextVar("carrier_base_url", default="")


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


def _locked_call(sid: str) -> Call | None:
    # Only the call's row is locked: PostgreSQL cannot lock the nullable side of an outer join.
    calls = Call.objects.select_for_update(of=("self",)).select_related("number", "menu")
    return calls.filter(sid=sid).order_by().first()


# ------------------------------------------------------------------------- the case


def _case_for(call: Call) -> Case:
    """The call's case, opened on the first step that needs one."""
    if call.case_id is not None:
        return call.case
    subject = _("Phone call from %(number)s") % {"number": call.from_number}
    call.case = cases.open_case(
        subject=subject,
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
    call.save(update_fields=["case"])
    return call.case


# ------------------------------------------------------------------------- answers


def _menu(call: Call, *, again: bool = False) -> VoiceResponse:
    response = VoiceResponse()
    menu = call.menu
    if menu is None:
        return _voicemail(call)
    gather = Gather(
        num_digits=1,
        action=_url("voice_step", WebhookKind.GATHER),
        timeout=8,
    )
    if again:
        _say(gather, call, _("That is not one of the options."))
    else:
        greeting = _text(menu.greeting, call.language)
        if greeting:
            _say(gather, call, greeting)
    for option in menu.options.all():
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
    call.save(update_fields=["step"])
    _case_for(call)
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
    numbers = [line for line in lines if line.phone]
    if not numbers:
        return _voicemail(call, _("Nobody can take your call right now. Please leave a message."))
    _case_for(call)
    call.step = CallStep.RINGING
    call.save(update_fields=["step"])
    response = VoiceResponse()
    _say(response, call, _("Please hold, we are putting you through."))
    dial = Dial(
        action=_url("voice_step", WebhookKind.DIAL),
        timeout=settings.PHONE_RING_SECONDS,
        caller_id=call.to_number,
    )
    for line in numbers:
        dial.number(
            line.phone,
            status_callback=_url("voice_step", WebhookKind.LEG, agent=line.agent_id),
            status_callback_event="answered completed",
        )
    response.append(dial)
    return response


def _team_lines(team_id: int) -> list[AgentLine]:
    return list(
        AgentLine.objects.filter(agent__teams=team_id, available=True)
        .exclude(phone="")
        .select_related("agent")
        .order_by("agent_id")
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
    with djtz.override(ZoneInfo(number.calendar.timezone)):
        when = display.promise_time(opening, at)
    prompt = _("We are closed now. We open again %(when)s. Please leave a message after the tone.")
    return _voicemail(call, prompt % {"when": when})


def _pins_exist() -> bool:
    return SupportPin.objects.exists()


def incoming(step: Step) -> VoiceResponse:
    """A call arrives: who is calling, is the line open, and the menu."""
    params = step.params
    with writing():
        call = _locked_call(step.sid)
        if call is not None:  # the carrier retried: the same call, asked again where it stands
            return _resume(call)
        number = (
            PhoneNumber.objects.select_related("calendar", "menu", "forward_to")
            .filter(number=_normalized(params.get("To", "")))
            .first()
        )
        contact = find_contact(params.get("From", ""))
        language = (
            (contact.language if contact and contact.language else "")
            or (number.language if number else "")
            or "en"
        )
        call = Call.objects.create(
            sid=step.sid,
            from_number=_normalized(params.get("From", "")),
            to_number=_normalized(params.get("To", "")),
            number=number,
            contact=contact,
            organization=contact.organization if contact else None,
            language=language if language in VOICES else "en",
            menu=number.menu if number else None,
            rang_at=step.at,
        )
        with translation.override(call.language):
            if number is None:
                return _voicemail(call)
            closed = _closed(call, number, step.at)
            if closed is not None:
                return closed
            if contact is None and _pins_exist():
                call.step = CallStep.PIN
                call.save(update_fields=["step"])
                return _ask_digits(call, _("Please key your support PIN, then the hash key."))
            return _menu(call)


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
    found = SupportPin.objects.select_related("contact", "organization").filter(pin=digits).first()
    if found is not None:
        call.contact = found.contact
        call.organization = found.organization
        if found.contact is not None and found.contact.language in VOICES:
            call.language = found.contact.language
        call.step = CallStep.MENU
        call.save(update_fields=["contact", "organization", "language", "step"])
        with translation.override(call.language):
            return _menu(call)
    call.pin_tries += 1
    call.save(update_fields=["pin_tries"])
    if call.pin_tries < settings.PHONE_PIN_TRIES:
        return _ask_digits(call, _("That PIN was not recognised. Please key it again."))
    call.step = CallStep.MENU
    call.save(update_fields=["step"])
    return _menu(call)


def _choose(call: Call, key: str) -> VoiceResponse:
    option = MenuOption.objects.filter(menu=call.menu, key=key).first() if call.menu else None
    if option is None:
        return _menu(call, again=True)
    call.keys = (call.keys + key)[:64]
    call.save(update_fields=["keys"])
    if option.kind == OptionKind.TEAM:
        call.team_id = option.team_id
        call.save(update_fields=["team"])
        return _ring(call, _team_lines(option.team_id))
    if option.kind == OptionKind.SUBMENU:
        call.menu = option.submenu
        call.save(update_fields=["menu"])
        return _menu(call)
    if option.kind == OptionKind.EXTENSION:
        call.step = CallStep.EXTENSION
        call.save(update_fields=["step"])
        return _ask_digits(call, _("Please key the extension, then the hash key."))
    if option.kind == OptionKind.EXISTING_CASE:
        call.step = CallStep.CASE_NUMBER
        call.save(update_fields=["step"])
        return _ask_digits(call, _("Please key your case number, then the hash key."))
    return _voicemail(call)


def _extension(call: Call, digits: str) -> VoiceResponse:
    line = AgentLine.objects.filter(extension=digits, available=True).select_related("agent")
    found = line.first()
    if found is None:
        call.step = CallStep.MENU
        call.save(update_fields=["step"])
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
        call.save(update_fields=["step"])
        return _ask_digits(call, _("We could not find that case. Please key the number again."))
    call.case = case
    call.save(update_fields=["case"])
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


def gather(step: Step) -> VoiceResponse:
    """Keys pressed (or none: ``timeout`` in the URL), read by where the call stands."""
    digits = step.params.get("Digits", "")
    with writing():
        call = _locked_call(step.sid)
        if call is None:
            return VoiceResponse()
        with translation.override(call.language):
            if not digits:
                return _voicemail(call)
            if call.step == CallStep.PIN:
                return _pin(call, digits)
            if call.step == CallStep.EXTENSION:
                return _extension(call, digits)
            if call.step == CallStep.CASE_NUMBER:
                return _existing_case(call, digits)
            if call.step == CallStep.MENU:
                return _choose(call, digits[:1])
            return VoiceResponse()


def dial_finished(step: Step) -> VoiceResponse:
    """The ringing ended: answered and done, or nobody took it and the caller may leave a
    message."""
    with writing():
        call = _locked_call(step.sid)
        if call is None:
            return VoiceResponse()
        with translation.override(call.language):
            if step.params.get("DialCallStatus") in ("completed", "answered") or call.answered_at:
                response = VoiceResponse()
                response.hangup()
                return response
            return _voicemail(
                call, _("Nobody could take your call. Please leave a message after the tone.")
            )


def leg(step: Step) -> VoiceResponse:
    """A leg the desk dialled was answered: an agent picking up a customer's call, or the
    customer picking up an agent's call back. Either is the first response, at that instant."""
    status = step.params.get("CallStatus", "")
    if status not in ("in-progress", "answered"):
        return VoiceResponse()
    parent = step.params.get("ParentCallSid") or step.sid
    with writing():
        call = _locked_call(parent)
        if call is None or call.answered_at is not None:
            return VoiceResponse()
        agent = _answering_agent(step)
        if agent is None:
            return VoiceResponse()
        call.answered_at = step.at
        call.answered_by = agent
        call.outcome = Outcome.ANSWERED
        call.save(update_fields=["answered_at", "answered_by", "outcome"])
        cases.answer_call(_case_for(call), agent=agent, at=step.at)
    return VoiceResponse()


def _answering_agent(step: Step) -> User | None:
    """The agent whose line answered (``agent``), or who placed the call back (``callback``)."""
    agent_id, callback_id = step.params.get("agent", ""), step.params.get("callback", "")
    if agent_id.isdigit():
        agent = Agent.objects.select_related("user").filter(pk=int(agent_id)).first()
        return agent.user if agent else None
    if callback_id.isdigit():
        return User.objects.filter(call_backs_placed__pk=int(callback_id)).first()
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
    with writing():
        call = _locked_call(step.sid)
        if call is None:
            return VoiceResponse()
        call.recording_url = step.params.get("RecordingUrl", "")[:200]
        if not call.answered_at:
            call.outcome = Outcome.VOICEMAIL
        call.save(update_fields=["recording_url", "outcome"])
        _case_for(call)
    response = VoiceResponse()
    with translation.override(call.language):
        _say(response, call, _("Thank you. We have your message and will call you back."))
    response.hangup()
    return response


def transcription(step: Step) -> VoiceResponse:
    """The voicemail's words become the customer's message on the case."""
    text = step.params.get("TranscriptionText", "").strip()
    with writing():
        call = _locked_call(step.sid)
        if call is None or not text or call.transcription:
            return VoiceResponse()
        call.transcription = text
        call.save(update_fields=["transcription"])
        case = _case_for(call)
        with translation.override(call.language):
            body = _("Voicemail: %(text)s") % {"text": text}
        cases.add_customer_message(
            case, body=body, contact=call.contact, sender=call.from_number, at=step.at
        )
    return VoiceResponse()


def status(step: Step) -> VoiceResponse:
    """The call ended: how, and for how long. A call nobody answered keeps its case's
    first-response clock running until an agent replies or calls back."""
    final = step.params.get("CallStatus", "")
    with writing():
        call = _locked_call(step.sid)
        if call is None or call.ended_at is not None:
            return VoiceResponse()
        call.ended_at = step.at
        duration = step.params.get("CallDuration", "")
        call.duration = int(duration) if duration.isdigit() else None
        if not call.outcome:
            call.outcome = UNANSWERED.get(final, Outcome.ABANDONED)
        call.step = CallStep.ENDED
        call.save(update_fields=["ended_at", "duration", "outcome", "step"])
        _case_for(call)
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
