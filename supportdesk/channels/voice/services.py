"""The phone channel's configuration, written one way for the world file and the admin:
numbers, menus, agents' lines and support PINs. (The calls themselves are ``calls``.)

Each save sets the object to what it is given and reports whether anything changed, so a
world file loaded twice writes nothing the second time.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from supportdesk.accounts.models import Agent, Brand, Contact, Organization, Team
from supportdesk.channels.voice.models import AgentLine, Menu, MenuOption, PhoneNumber, SupportPin
from supportdesk.plans.models import BusinessCalendar
from supportdesk.plans.services import Change


@dataclass(frozen=True)
class OptionSpec:
    key: str
    kind: str
    label: dict[str, str] = field(default_factory=dict)
    team: str | None = None
    submenu: str | None = None
    play_url: str = ""


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    return bool(changed)


def _change(created: bool, changed: bool) -> Change:
    if created:
        return Change.CREATED
    return Change.UPDATED if changed else Change.UNCHANGED


def save_menu(slug: str, *, greeting: dict[str, str]) -> tuple[Menu, Change]:
    """The menu itself; its options follow with ``save_options`` once every menu exists
    (an option may lead to a menu defined after it)."""
    menu, created = Menu.objects.get_or_create(slug=slug, defaults={"greeting": greeting})
    return menu, _change(created, not created and _apply(menu, {"greeting": greeting}))


@transaction.atomic
def save_options(menu: Menu, options: list[OptionSpec]) -> Change:
    """The menu's options exactly as given: others are removed."""
    current = {option.key: option for option in menu.options.all()}
    changed = False
    for spec in options:
        values = {
            "kind": spec.kind,
            "label": spec.label,
            "team": Team.objects.get(slug=spec.team) if spec.team else None,
            "submenu": Menu.objects.get(slug=spec.submenu) if spec.submenu else None,
            "play_url": spec.play_url,
        }
        option = current.pop(spec.key, None)
        if option is None:
            MenuOption.objects.create(menu=menu, key=spec.key, **values)
            changed = True
        else:
            changed |= _apply(option, values)
    if current:
        MenuOption.objects.filter(pk__in=[o.pk for o in current.values()]).delete()
        changed = True
    return Change.UPDATED if changed else Change.UNCHANGED


def save_number(
    number: str,
    *,
    name: str,
    language: str,
    calendar: BusinessCalendar | None,
    menu: Menu | None,
    after_hours: str,
    forward_to: PhoneNumber | None = None,
    country: str = "",
    public: bool = True,
    brand: Brand | None = None,
) -> tuple[PhoneNumber, Change]:
    values = {
        "name": name,
        "language": language,
        "calendar": calendar,
        "menu": menu,
        "after_hours": after_hours,
        "forward_to": forward_to,
        "country": country,
        "public": public,
        "brand": brand,
    }
    line, created = PhoneNumber.objects.get_or_create(number=number, defaults=values)
    return line, _change(created, not created and _apply(line, values))


def save_agent_line(agent: Agent, *, phone: str, extension: str, softphone: str = "") -> Change:
    """Where the agent takes calls: a phone number, a softphone (the carrier's ``<Client>``
    identity, rung in the browser or app), or both at once."""
    values = {"phone": phone, "extension": extension, "softphone": softphone}
    line, created = AgentLine.objects.get_or_create(agent=agent, defaults=values)
    return _change(created, not created and _apply(line, values))


def save_support_pin(
    pin: str, *, organization: Organization, contact: Contact | None = None
) -> Change:
    """The PIN that identifies a caller; one organization's (or contact's) PIN replaces its
    previous one."""
    owner = SupportPin.objects.filter(organization=organization, contact=contact)
    current = owner.first()
    if current is not None and current.pin == pin:
        return Change.UNCHANGED
    with transaction.atomic():
        owner.delete()
        SupportPin.objects.create(pin=pin, organization=organization, contact=contact)
    return Change.UPDATED if current is not None else Change.CREATED
