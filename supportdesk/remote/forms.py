from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk.remote.choices import Tool


class StartSessionForm(forms.Form):
    tool = forms.ChoiceField(label=_("Tool"), choices=Tool.choices)
    session_id = forms.CharField(
        label=_("Session id"),
        max_length=100,
        help_text=_("The id the customer reads out from the tool, e.g. 123 456 789."),
    )
    # Not required here: the service refuses without it and says why.
    password_typed_by_user = forms.BooleanField(
        label=_("The user types their password themselves; I do not see it"),
        required=False,
    )


class EndSessionForm(forms.Form):
    notes = forms.CharField(
        label=_("What was done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
