"""A request type's form in the portal, built from its field definitions.

The form only gathers what was typed into the shape the API takes (``values`` and ``files``);
``services.submit_request`` checks it, so the portal and the API refuse the same things with
the same words.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from supportdesk.service_requests.choices import ADDRESS_PARTS, FILE_TYPES, FieldType
from supportdesk.service_requests.definitions import FieldDef, in_language

_PART_LABELS = {
    "street": _("Street and number"),
    "postcode": _("Postcode"),
    "city": _("City"),
    "country": _("Country code (e.g. PL)"),
}


@dataclass
class Group:
    """One field of the request type, with the inputs it takes and its problem."""

    definition: FieldDef
    fields: list[BoundField]
    error: str = ""

    @property
    def is_single(self) -> bool:
        return len(self.fields) == 1 and self.definition.type != FieldType.SIGNATURE


class RequestForm(forms.Form):
    def __init__(self, definitions: list[FieldDef], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        self.problems: Mapping[str, str] = {}
        for definition in definitions:
            for name, field in self._inputs(definition):
                self.fields[name] = field

    @staticmethod
    def _inputs(definition: FieldDef) -> list[tuple[str, forms.Field]]:
        key, kind = definition.key, definition.type
        label, help_text = definition.label_text, definition.help_text
        common: dict[str, Any] = {"label": label, "required": False, "help_text": help_text}
        if kind == FieldType.ADDRESS:
            return [
                (f"{key}__{part}", forms.CharField(label=_PART_LABELS[part], required=False))
                for part in ADDRESS_PARTS
            ]
        if kind == FieldType.SIGNATURE:
            return [
                (
                    f"{key}__name",
                    forms.CharField(label=_("Your full name"), required=False, max_length=200),
                ),
                (f"{key}__consent", forms.BooleanField(label=_("I agree"), required=False)),
            ]
        if kind == FieldType.TEXT:
            widget = forms.Textarea(attrs={"rows": 4}) if definition.max_length > 200 else None
            return [(key, forms.CharField(widget=widget, strip=False, **common))]
        if kind == FieldType.NUMBER:
            return [(key, forms.CharField(widget=forms.NumberInput(), **common))]
        if kind == FieldType.CHOICE:
            choices = [("", "—")] + [
                (c.value, in_language(c.label) or c.value) for c in definition.choices
            ]
            return [(key, forms.ChoiceField(choices=choices, **common))]
        if kind == FieldType.DATE:
            return [
                (key, forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common))
            ]
        if kind == FieldType.PHONE_NUMBERS:
            common["help_text"] = help_text or _(
                "One number per line, in international form like +48221234567."
            )
            return [(key, forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common))]
        accept = ",".join(definition.types)
        common["help_text"] = help_text or _("%(types)s, at most %(mb)s MB.") % {
            "types": ", ".join(FILE_TYPES[t] for t in definition.types),
            "mb": definition.max_mb,
        }
        return [
            (
                key,
                forms.FileField(
                    widget=forms.ClearableFileInput(attrs={"accept": accept}), **common
                ),
            )
        ]

    def groups(self) -> list[Group]:
        return [
            Group(
                definition,
                [self[name] for name, _field in self._inputs(definition)],
                self.problems.get(definition.key, ""),
            )
            for definition in self.definitions
        ]

    def submission(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """What was typed, as the API takes it: values, and files by field key."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for definition in self.definitions:
            key = definition.key
            if definition.type == FieldType.ADDRESS:
                values[key] = {part: data.get(f"{key}__{part}", "") for part in ADDRESS_PARTS}
            elif definition.type == FieldType.SIGNATURE:
                name, consent = data.get(f"{key}__name", ""), data.get(f"{key}__consent", False)
                values[key] = {"name": name, "consent": consent} if name or consent else None
            elif definition.type == FieldType.FILE:
                if data.get(key):
                    files[key] = data[key]
            else:
                values[key] = data.get(key)
        return values, files
