"""Calling a customer back from the case page.

The request is queued (a ``CallBack``), and the worker asks the carrier to place it: the
agent's phone rings first, and when the agent answers the carrier fetches ``outbound``, which
dials the customer; the customer answering is the response the first-response clock waits for.
A refusal by the carrier is retried with backoff, as the outbox retries mail.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.accounts.services import InvalidAddress, normalize_phone
from supportdesk.channels import carrier_api
from supportdesk.channels.voice.choices import CallBackStatus, CallStep, WebhookKind
from supportdesk.channels.voice.models import AgentLine, Call, CallBack, PhoneNumber
from supportdesk.db import claim_for_sending, writing
from supportdesk.tickets.models import Case

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=2)


class CallBackError(Exception):
    """Why a call back cannot be placed, in words for the agent."""


def _phone(value: str) -> str | None:
    try:
        return normalize_phone(value)
    except InvalidAddress:
        return None


def customer_number(case: Case) -> str | None:
    """The number to ring: the contact's registered phone, else the number the case came from."""
    if case.contact is not None and case.contact.phone:
        return case.contact.phone
    return _phone(case.requester_address) if case.requester_address else None


def _caller_id(case: Case) -> str | None:
    """The desk's number the customer called, else the first public one."""
    called = _phone(case.received_via) if case.received_via else None
    numbers = PhoneNumber.objects.order_by("-public", "pk").values_list("number", flat=True)
    if called and PhoneNumber.objects.filter(number=called).exists():
        return called
    return numbers.first()


def request_call_back(case: Case, *, agent: User, at: datetime | None = None) -> CallBack:
    at = at or timezone.now()
    line = AgentLine.objects.filter(agent__user=agent).exclude(phone="").first()
    if line is None:
        raise CallBackError(_("Add a phone to your agent line first: the carrier rings you."))
    number = customer_number(case)
    if number is None:
        raise CallBackError(_("This case has no customer phone number to call."))
    caller_id = _caller_id(case)
    if caller_id is None:
        raise CallBackError(_("The desk has no phone number to call from."))
    with writing():
        return CallBack.objects.create(
            case=case,
            agent=agent,
            agent_phone=line.phone,
            customer_number=number,
            caller_id=caller_id,
            next_attempt_at=at,
            requested_at=at,
        )


def _callback_url(kind: str, **query: object) -> str:
    base = settings.PUBLIC_URL or settings.SITE_URL.rstrip("/")
    path = reverse("voice_step", args=[kind])
    return base + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def place_pending(now: datetime | None = None) -> int:
    """Place every due call back (the worker's loop); returns how many the carrier took."""
    now = now or timezone.now()
    placed = 0
    due = CallBack.objects.filter(status=CallBackStatus.PENDING, next_attempt_at__lte=now)
    for item in due.select_related("case").order_by("next_attempt_at")[:20]:
        if not claim_for_sending(item, now, LEASE):
            continue
        try:
            sid = carrier_api.place_call(
                to=item.agent_phone,
                sender=item.caller_id,
                url=_callback_url(WebhookKind.OUTBOUND, callback=item.pk),
                status_callback=_callback_url(WebhookKind.STATUS),
            )
        except carrier_api.CarrierError as error:
            _failed(item, now, error)
            continue
        with writing():
            item.call = Call.objects.create(
                sid=sid,
                inbound=False,
                from_number=item.caller_id,
                to_number=item.customer_number,
                contact=item.case.contact,
                organization=item.case.organization,
                case=item.case,
                step=CallStep.RINGING,
                rang_at=now,
            )
            item.status = CallBackStatus.PLACED
            item.last_error = ""
            item.save(update_fields=["call", "status", "last_error"])
        placed += 1
    return placed


def _failed(item: CallBack, now: datetime, error: Exception) -> None:
    item.last_error = str(error)[:2000]
    if item.attempts >= MAX_ATTEMPTS:
        item.status = CallBackStatus.FAILED
    else:
        item.next_attempt_at = now + timedelta(minutes=2**item.attempts)
    with writing():
        item.save(update_fields=["last_error", "status", "next_attempt_at"])
