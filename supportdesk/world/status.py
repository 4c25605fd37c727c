"""The world file's ``status:`` section: the status page's groups and components.

    status:
      groups: {voice: {name: {pt: Voz, pl: Głos, en: Voice}}}
      components:
        sip-trunk-lisboa: {name: {pt: "Tronco SIP Lisboa", en: "SIP trunk Lisbon"}, group: voice,
                           audience: public}
        pbx-cliente-b:    {name: {pt: "Central telefónica Cliente B"}, group: voice,
                           audience: {organizations: [cliente-b]}}      # or {plans: [...]}

Checked like the rest of the file: groups, organizations and plans named must be in the file or
the database. A name is written per language (a single text is English); the English one, else
the first written, is the name where no translation is given. Groups and components are shown
in the order the file lists them. Statuses are not configuration: a new component starts
operational, and incidents and maintenance change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, model_validator

from supportdesk.accounts.models import Organization
from supportdesk.plans.models import Plan
from supportdesk.status import services
from supportdesk.status.choices import Audience
from supportdesk.status.models import ComponentGroup
from supportdesk.world.fields import SlugKey, Strict, Text, Texts, fail
from supportdesk.world.source import Node

if TYPE_CHECKING:
    from supportdesk.world.references import References


def _named(value: Any) -> Any:
    """``{name: ...}`` may be the name alone."""
    return {"name": value} if isinstance(value, Node) and not value.is_mapping else value


def _audience(value: Any) -> Any:
    """``public``, or ``{organizations: [...]}`` / ``{plans: [...]}``."""
    if isinstance(value, Node) and value.is_scalar:
        if value.raw != Audience.PUBLIC:
            raise fail(_("write audience: public, {organizations: [...]} or {plans: [...]}"))
        return {}
    return value


class AudienceEntry(Strict):
    organizations: list[Text] | None = None
    plans: list[Text] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> AudienceEntry:
        if self.organizations is not None and self.plans is not None:
            raise fail(_("a component is shown to given organizations or given plans, not both"))
        return self

    @property
    def kind(self) -> str:
        if self.organizations is not None:
            return Audience.ORGANIZATIONS
        return Audience.PLANS if self.plans is not None else Audience.PUBLIC


def _name_given(names: dict[str, str]) -> dict[str, str]:
    if not names:
        raise fail(_("give a name in at least one language"))
    return names


class GroupEntry(Strict):
    name: Texts

    @model_validator(mode="after")
    def _has_a_name(self) -> GroupEntry:
        _name_given(self.name)
        return self


class ComponentEntry(Strict):
    name: Texts
    group: Text | None = None
    description: Text = ""
    audience: Annotated[AudienceEntry, BeforeValidator(_audience)] = AudienceEntry()

    @model_validator(mode="after")
    def _has_a_name(self) -> ComponentEntry:
        _name_given(self.name)
        return self


class StatusSection(Strict):
    groups: dict[SlugKey, Annotated[GroupEntry, BeforeValidator(_named)]] = {}
    components: dict[SlugKey, ComponentEntry] = {}


@dataclass
class NamedSpec:
    slug: str
    name: str
    names: dict[str, str]


@dataclass
class ComponentSpec(NamedSpec):
    group: str | None = None
    description: str = ""
    audience: str = Audience.PUBLIC
    organizations: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)


@dataclass
class StatusSpec:
    groups: list[NamedSpec] = field(default_factory=list)
    components: list[ComponentSpec] = field(default_factory=list)


def _split(names: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The name where no translation is given (English, else the first), and the rest."""
    default = names.get("en") or next(iter(names.values()))
    return default, {lang: text for lang, text in names.items() if text != default}


def status_spec(section: StatusSection) -> StatusSpec:
    groups = [NamedSpec(slug, *_split(dict(g.name))) for slug, g in section.groups.items()]
    components = [
        ComponentSpec(
            slug,
            *_split(dict(c.name)),
            group=c.group,
            description=c.description,
            audience=c.audience.kind,
            organizations=list(c.audience.organizations or []),
            plans=list(c.audience.plans or []),
        )
        for slug, c in section.components.items()
    ]
    return StatusSpec(groups, components)


def check_status_references(
    refs: References,
    section: StatusSection,
    *,
    organizations: set[str],
    plans: set[str],
) -> None:
    """Groups, organizations and plans a component names must exist (here or in the database);
    ``organizations`` and ``plans``: the keys the file declares."""
    groups = set(ComponentGroup.objects.values_list("slug", flat=True)) | set(section.groups)
    organizations |= set(Organization.objects.values_list("slug", flat=True))
    plans |= set(Plan.objects.values_list("slug", flat=True))
    for slug, component in section.components.items():
        where = ("status", "components", slug)
        if component.group is not None and component.group not in groups:
            refs.fail(
                (*where, "group"),
                _('group "%(ref)s" is neither in this file nor in the database')
                % {"ref": component.group},
            )
        for kind, known, message in (
            (
                "organizations",
                organizations,
                _('organization "%(ref)s" is neither in this file nor in the database'),
            ),
            ("plans", plans, _('plan "%(ref)s" is neither in this file nor in the database')),
        ):
            for index, ref in enumerate(getattr(component.audience, kind) or []):
                if ref not in known:
                    refs.fail((*where, "audience", kind, index), message % {"ref": ref})


def apply_status(spec: StatusSpec, report) -> None:
    """Groups first, then the components under them; after organizations and plans, which
    components may name."""
    groups = {}
    for position, group_spec in enumerate(spec.groups):
        groups[group_spec.slug], change = services.save_group(
            group_spec.slug, name=group_spec.name, names=group_spec.names, position=position
        )
        report.add("status groups", change)
    for position, component_spec in enumerate(spec.components):
        group = component_spec.group
        _component, change = services.save_component(
            component_spec.slug,
            name=component_spec.name,
            names=component_spec.names,
            group=(groups.get(group) or ComponentGroup.objects.get(slug=group)) if group else None,
            audience=component_spec.audience,
            organizations=Organization.objects.filter(slug__in=component_spec.organizations),
            plans=Plan.objects.filter(slug__in=component_spec.plans),
            description=component_spec.description,
            position=position,
        )
        report.add("status components", change)
