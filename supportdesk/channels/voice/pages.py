"""What the phone pages read: the lines a customer may call and whether they are open now,
and an agent's calls of the day, missed ones first. (Calls themselves are written by
``calls``.)"""

from dataclasses import dataclass
from datetime import datetime, time

import phonenumbers
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone as djtz
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from phonenumbers import geocoder

from supportdesk.accounts.models import Contact, User
from supportdesk.channels.voice.calls import _text as in_language
from supportdesk.channels.voice.choices import Outcome
from supportdesk.channels.voice.models import Call, PhoneNumber
from supportdesk.plans.contracts import in_force
from supportdesk.plans.models import BusinessCalendar, kernel_for
from supportdesk.tickets import display

#: A call nobody at the desk spoke to: someone should call back.
MISSED = (Outcome.ABANDONED, Outcome.NO_ANSWER, Outcome.BUSY, Outcome.FAILED, Outcome.VOICEMAIL)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Line:
    """One number as the "Call us" page shows it."""

    number: PhoneNumber
    is_open: bool
    state: str
    hours: list[tuple[str, str]]
    options: list[tuple[str, str]]
    designated: bool


def weekly_hours(calendar: BusinessCalendar) -> list[tuple[str, str]]:
    """("Monday–Friday", "09:00–13:00, 14:00–18:00"): days with the same hours run together."""
    runs: list[tuple[int, int, list[str]]] = []
    for index, day in enumerate(DAYS):
        spans = calendar.weekly.get(day) or []
        if not spans:
            continue
        if runs and runs[-1][1] == index - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], index, spans)
        else:
            runs.append((index, index, spans))
    return [
        (
            str(WEEKDAYS[first]) if first == last else f"{WEEKDAYS[first]}–{WEEKDAYS[last]}",
            ", ".join(span.replace("-", "–") for span in spans),
        )
        for first, last, spans in runs
    ]


def opening(number: PhoneNumber, now: datetime) -> tuple[bool, str]:
    """Whether the line is open, said in the active zone and language: "Open now", "Opens
    Monday 09:00", from the same kernel as the clocks."""
    if number.calendar is None:
        return True, _("Open around the clock")
    kernel = kernel_for(number.calendar)
    if kernel.is_open(now):
        return True, _("Open now")
    return False, _("Opens %(when)s") % {"when": display.promise_time(kernel.next_open(now), now)}


def country_name(number: PhoneNumber, language: str) -> str:
    """The country the number is in, in the page's language."""
    try:
        parsed = phonenumbers.parse(number.number)
    except phonenumbers.NumberParseException:
        return number.country
    return geocoder.country_name_for_number(parsed, language) or number.country


def lines_for(contact: Contact, now: datetime, language: str) -> list[tuple[str, list[Line]]]:
    """The listed numbers, and the line the customer's contract designates (which may be
    unlisted: it is theirs), grouped by country."""
    contract = in_force(contact.organization, now)
    designated = contract.designated_phone if contract is not None else ""
    numbers = (
        PhoneNumber.objects.filter(Q(public=True) | Q(number=designated or None))
        .select_related("calendar", "menu")
        .prefetch_related("menu__options")
        .order_by("country", "name")
    )
    countries: dict[str, list[Line]] = {}
    for number in numbers:
        is_open, state = opening(number, now)
        options = []
        if number.menu is not None:
            options = [(o.key, in_language(o.label, language)) for o in number.menu.options.all()]
        line = Line(
            number=number,
            is_open=is_open,
            state=state,
            hours=weekly_hours(number.calendar) if number.calendar else [],
            options=options,
            designated=number.number == designated,
        )
        countries.setdefault(country_name(number, language), []).append(line)
    return list(countries.items())


def todays_calls(user: User, now: datetime) -> QuerySet[Call]:
    """Calls since midnight in the viewer's zone, missed ones first, newest first within."""
    midnight = djtz.make_aware(datetime.combine(djtz.localdate(now), time.min))
    missed = Q(answered_at__isnull=True, outcome__in=MISSED)
    return (
        Call.objects.visible_to(user)
        .filter(rang_at__gte=midnight, rang_at__lte=now)
        .annotate(missed=ExpressionWrapper(missed, output_field=BooleanField()))
        .select_related("case", "contact", "number", "answered_by")
        .order_by("-missed", "-rang_at", "-id")
    )


def case_calls(case_id: int) -> QuerySet[Call]:
    return Call.objects.filter(case_id=case_id).select_related("number", "answered_by")
