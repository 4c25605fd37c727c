"""The workspace's forms for incidents: what an agent types, checked before a service is called."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from supportdesk.status.choices import ComponentStatus, Impact, IncidentStatus
from supportdesk.status.models import Component


class ComponentsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Component.objects.order_by("position", "name"),
            to_field_name="slug",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=_("Components"),
            **kwargs,
        )


class UpdateForm(forms.Form):
    """An update; the ticked components take one status with it."""

    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    body = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 4}))
    components = ComponentsField()
    component_status = forms.ChoiceField(
        label=_("The ticked components are now"),
        choices=ComponentStatus.choices,
        required=False,
    )

    def statuses(self) -> dict[str, str]:
        status = self.cleaned_data["component_status"] or ComponentStatus.OPERATIONAL
        return {component.slug: status for component in self.cleaned_data["components"]}


class DeclareForm(UpdateForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices)
    field_order = ["name", "impact", "status", "body", "components", "component_status"]


class AnswerForm(UpdateForm):
    answer_cases = forms.BooleanField(
        label=_("Post this update to every linked case as a public reply"), required=False
    )
    resolve_cases = forms.BooleanField(
        label=_("When resolved, resolve the linked cases too"), required=False
    )


class LinkForm(forms.Form):
    """Link one case by its number, or every open case of the affected organizations since an
    instant."""

    case = forms.IntegerField(label=_("Case number"), min_value=1, required=False)
    since = forms.DateTimeField(
        label=_("Open cases of the affected organizations since"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self):
        data = super().clean()
        if not data.get("case") and not data.get("since"):
            raise forms.ValidationError(_("Give a case number or an instant."))
        return data


class SubscribeForm(forms.Form):
    """Email updates: one component the reader sees, or all of them (left empty)."""

    email = forms.EmailField(label=_("Email"))
    component = forms.ModelChoiceField(
        queryset=Component.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("Every component shown here"),
        label=_("About"),
    )

    #: The language of the page the form was on: the updates are written in it.
    language = forms.ChoiceField(choices=settings.LANGUAGES, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["component"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Component.objects.visible_to(user).order_by("position", "name")
