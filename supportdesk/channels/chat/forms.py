from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk.channels.chat.services import MAX_MESSAGE


class WriteToUsForm(forms.Form):
    """A visitor's question for a person, answered by email."""

    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    message = forms.CharField(
        label=_("Your question"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 6})
    )
