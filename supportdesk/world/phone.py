"""The world file's ``phone:`` section: the desk's numbers and their menus.

    phone:
      numbers:
        "+351210000100": {name: WebPlug main line, language: pt, calendar: webplug-lisboa,
                          menu: main, after_hours: voicemail, country: PT, public: true}
      menus:
        main:
          greeting: {pt: "Bem-vindo ao suporte WebPlug.", en: "Welcome to WebPlug support."}
          options:
            "1": {label: {pt: Suporte técnico}, team: geral}
            "3": {label: {pt: Extensão}, extension: true}
            "4": {label: {pt: Mais opções}, menu: more}
            "9": {label: {pt: Deixar mensagem}, voicemail: true}

Checked like the rest of the file (numbers in E.164, known calendars, teams and menus, keys
0-9 * #), every problem with its key path and line. ``calendar: always`` answers 24/7.
Agents' ``phone`` and ``extension`` and organizations' ``support_pin`` are read with the agents
and organizations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from django.utils.translation import gettext as _
from pydantic import PlainValidator, model_validator

from supportdesk.accounts.models import Agent, Brand, Team
from supportdesk.channels.voice import services
from supportdesk.channels.voice.choices import AfterHours, OptionKind
from supportdesk.channels.voice.models import SOFTPHONE, Menu, PhoneNumber
from supportdesk.plans.choices import ALWAYS
from supportdesk.plans.models import BusinessCalendar
from supportdesk.plans.services import Change
from supportdesk.world.fields import (
    Bool,
    Phone,
    SlugKey,
    Strict,
    Text,
    Texts,
    choice,
    e164,
    fail,
    languages,
    text,
)

if TYPE_CHECKING:
    from supportdesk.world.references import References

_KEY = re.compile(r"[0-9*#]")
_PIN = re.compile(r"[0-9]{4,12}")
_EXTENSION = re.compile(r"[0-9]{1,8}")

#: An option does one thing, named by the key that says so.
_ACTIONS = {
    "team": OptionKind.TEAM,
    "extension": OptionKind.EXTENSION,
    "menu": OptionKind.SUBMENU,
    "voicemail": OptionKind.VOICEMAIL,
    "existing_case": OptionKind.EXISTING_CASE,
}


def _pin(node: Any) -> str:
    pin = text(node)
    if not _PIN.fullmatch(pin):
        raise fail(_("%(v)s is not a PIN of 4 to 12 digits") % {"v": pin})
    return pin


def _softphone(node: Any) -> str:
    identity = text(node)
    if not SOFTPHONE.fullmatch(identity):
        raise fail(
            _("%(v)s is not a softphone identity: letters, digits, . _ - and @, up to 100")
            % {"v": identity}
        )
    return identity


def _extension(node: Any) -> str:
    extension = text(node)
    if not _EXTENSION.fullmatch(extension):
        raise fail(_("%(v)s is not an extension of 1 to 8 digits") % {"v": extension})
    return extension


def _number_key(key: str) -> str:
    e164(key)
    return key


def _option_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise fail(_('"%(v)s" is not a key of a phone: use 0-9, * or #') % {"v": key})
    return key


Pin = Annotated[str, PlainValidator(_pin)]
Extension = Annotated[str, PlainValidator(_extension)]
Softphone = Annotated[str, PlainValidator(_softphone)]


class OptionEntry(Strict):
    label: Texts = {}
    play: Text = ""
    team: Text | None = None
    extension: Bool | None = None
    menu: Text | None = None
    voicemail: Bool | None = None
    existing_case: Bool | None = None

    @model_validator(mode="after")
    def _one_action(self) -> OptionEntry:
        actions = [name for name in _ACTIONS if name in self.model_fields_set]
        if len(actions) != 1:
            raise fail(
                _("an option does one thing: give exactly one of %(keys)s")
                % {"keys": ", ".join(_ACTIONS)}
            )
        if actions[0] not in ("team", "menu") and getattr(self, actions[0]) is not True:
            raise fail(
                _("write %(key)s: true, or leave the key out") % {"key": actions[0]}, actions[0]
            )
        return self

    @property
    def action(self) -> str:
        return next(name for name in _ACTIONS if name in self.model_fields_set)


class MenuEntry(Strict):
    greeting: Texts = {}
    options: dict[Annotated[str, PlainValidator(_option_key)], OptionEntry] = {}


class NumberEntry(Strict):
    name: Text
    language: Annotated[str, choice(languages)] = "en"
    calendar: Text = ALWAYS
    menu: Text | None = None
    after_hours: Annotated[str, choice(AfterHours.values)] = AfterHours.VOICEMAIL
    forward_to: Phone | None = None
    country: Text = ""
    public: Bool = True
    brand: Text | None = None

    @model_validator(mode="after")
    def _forward_needs_a_number(self) -> NumberEntry:
        if self.after_hours == AfterHours.FORWARD and self.forward_to is None:
            raise fail(_("after_hours: forward needs forward_to, the number to forward to"))
        return self


class PhoneSection(Strict):
    numbers: dict[Annotated[str, PlainValidator(_number_key)], NumberEntry] = {}
    menus: dict[SlugKey, MenuEntry] = {}


@dataclass
class NumberSpec:
    number: str
    name: str
    language: str
    calendar: str | None
    menu: str | None
    after_hours: str
    forward_to: str | None
    country: str
    public: bool
    brand: str | None = None


@dataclass
class MenuSpec:
    slug: str
    greeting: dict[str, str]
    options: list[services.OptionSpec]


@dataclass
class PhoneSpec:
    numbers: list[NumberSpec] = field(default_factory=list)
    menus: list[MenuSpec] = field(default_factory=list)


def phone_spec(section: PhoneSection) -> PhoneSpec:
    """What the loader applies; ``calendar: always`` is a number without a calendar."""
    menus = [
        MenuSpec(
            slug,
            dict(menu.greeting),
            [
                services.OptionSpec(
                    key,
                    _ACTIONS[option.action],
                    dict(option.label),
                    option.team,
                    option.menu,
                    option.play,
                )
                for key, option in menu.options.items()
            ],
        )
        for slug, menu in section.menus.items()
    ]
    numbers = [
        NumberSpec(
            e164(number),
            entry.name,
            entry.language,
            None if entry.calendar == ALWAYS else entry.calendar,
            entry.menu,
            entry.after_hours,
            entry.forward_to,
            entry.country.upper(),
            entry.public,
            entry.brand,
        )
        for number, entry in section.numbers.items()
    ]
    return PhoneSpec(numbers, menus)


def check_phone_references(
    refs: References,
    section: PhoneSection,
    *,
    calendars: set[str],
    declared_menus: set[str],
    teams: set[str],
) -> None:
    """Calendars, menus, teams and forwarding numbers the section names must exist."""
    menus = set(Menu.objects.values_list("slug", flat=True)) | declared_menus
    for slug, menu in section.menus.items():
        for key, option in menu.options.items():
            option_at = ("phone", "menus", slug, "options", key)
            if option.team is not None and option.team not in teams:
                refs.fail(
                    (*option_at, "team"), _('team "%(ref)s" is not known') % {"ref": option.team}
                )
            if option.menu is not None and option.menu not in menus:
                refs.fail(
                    (*option_at, "menu"),
                    _('menu "%(ref)s" is neither in this file nor in the database')
                    % {"ref": option.menu},
                )
    numbers = {e164(number) for number in section.numbers}
    for number, entry in section.numbers.items():
        number_at = ("phone", "numbers", number)
        if entry.calendar != ALWAYS and entry.calendar not in calendars:
            refs.fail(
                (*number_at, "calendar"),
                _('calendar "%(ref)s" is neither in this file nor in the database')
                % {"ref": entry.calendar},
            )
        if entry.menu is not None and entry.menu not in menus:
            refs.fail(
                (*number_at, "menu"),
                _('menu "%(ref)s" is neither in this file nor in the database')
                % {"ref": entry.menu},
            )
        if entry.brand is not None:
            refs.brand_ref((*number_at, "brand"), entry.brand)
        if entry.forward_to is not None and entry.forward_to not in numbers:
            refs.fail(
                (*number_at, "forward_to"),
                _("%(v)s is not one of the numbers of this file") % {"v": entry.forward_to},
            )


def apply_phone(spec: PhoneSpec, report) -> None:
    """Menus first (options may lead to any of them), then the numbers that answer with them."""
    menus = {}
    for menu_spec in spec.menus:
        menus[menu_spec.slug], change = services.save_menu(
            menu_spec.slug, greeting=menu_spec.greeting
        )
        report.add("menus", change)
    for menu_spec in spec.menus:
        change = services.save_options(menus[menu_spec.slug], menu_spec.options)
        if change != Change.UNCHANGED:
            report.add("menu options", change)
    calendars = {c.slug: c for c in BusinessCalendar.objects.all()}
    brands = {b.slug: b for b in Brand.objects.all()}
    for number_spec in sorted(spec.numbers, key=lambda n: n.forward_to is not None):
        forward = None
        if number_spec.forward_to:
            forward = PhoneNumber.objects.get(number=number_spec.forward_to)
        _line, change = services.save_number(
            number_spec.number,
            name=number_spec.name,
            language=number_spec.language,
            calendar=calendars[number_spec.calendar] if number_spec.calendar else None,
            menu=Menu.objects.get(slug=number_spec.menu) if number_spec.menu else None,
            after_hours=number_spec.after_hours,
            forward_to=forward,
            country=number_spec.country,
            public=number_spec.public,
            brand=brands.get(number_spec.brand) if number_spec.brand else None,
        )
        report.add("phone numbers", change)


def apply_agent_line(email: str, phone: str, extension: str, softphone: str, report) -> None:
    agent = Agent.objects.get(user__email=email)
    change = services.save_agent_line(agent, phone=phone, extension=extension, softphone=softphone)
    if change != Change.UNCHANGED:
        report.add("agent lines", change)


def known_teams(declared: set[str]) -> set[str]:
    return set(Team.objects.values_list("slug", flat=True)) | declared
