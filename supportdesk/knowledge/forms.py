from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.knowledge.services import KEY_PATTERN
from supportdesk.plans.models import Plan


class ArticleForm(forms.Form):
    external_id = forms.RegexField(
        label=_("Key"),
        regex=KEY_PATTERN,
        max_length=200,
        help_text=_("Letters, digits, dots, dashes; it never changes once saved."),
    )
    lang = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    group = forms.RegexField(
        label=_("Translation group"),
        regex=KEY_PATTERN,
        max_length=200,
        required=False,
        help_text=_("The same key on every translation of this article. Empty: the key above."),
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Markdown: **bold**, lists, tables, [links](https://example.com)."),
    )
    categories = forms.CharField(
        label=_("Categories"),
        required=False,
        help_text=_("Keys separated by commas, e.g. billing, plans."),
    )
    visibility = forms.ChoiceField(label=_("Visible to"), choices=Visibility.choices)
    plans = forms.ModelMultipleChoiceField(
        label=_("Plans"),
        queryset=Plan.objects.all(),
        required=False,
        to_field_name="slug",
        help_text=_("Only for “customers of given plans”."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=ArticleStatus.choices)
    note = forms.CharField(
        label=_("What changed"), max_length=300, required=False, help_text=_("Kept in the history.")
    )

    def clean_categories(self) -> list[str]:
        slugs = [s.strip() for s in self.cleaned_data["categories"].split(",") if s.strip()]
        for slug in slugs:
            if not KEY_PATTERN.match(slug):
                raise forms.ValidationError(_("“%(s)s” is not a valid key.") % {"s": slug})
        return slugs

    def clean(self):
        data = super().clean()
        if data.get("visibility") == Visibility.PLANS and not data.get("plans"):
            self.add_error("plans", _("Choose at least one plan."))
        return data


class VoteForm(forms.Form):
    useful = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))])
