from django import forms
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _

#: The pages whose link a visitor may have texted to them.
TEXTABLE = {"kb_article", "login"}


class TextMeForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("In international form, for example +48 501 234 567."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    page = forms.CharField(max_length=500, widget=forms.HiddenInput)

    def clean_page(self) -> str:
        """Only a link to one of the desk's own pages that offer it, never anyone else's."""
        page = self.cleaned_data["page"]
        try:
            match = resolve(page) if page.startswith("/") else None
        except Resolver404:
            match = None
        if match is None or match.url_name not in TEXTABLE:
            raise forms.ValidationError(_("This page cannot be texted."))
        return page
