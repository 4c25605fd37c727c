from datetime import date
from typing import cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Organization, Team, User
from supportdesk.assets.models import Asset
from supportdesk.sla import months
from supportdesk.status.models import Incident
from supportdesk.tickets.choices import Level, Priority, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files up to the configured limits; cleans to a list."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        files = [super(AttachmentsField, self).clean(f, initial) for f in files]
        if len(files) > settings.ATTACHMENT_MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(n)s files.") % {"n": settings.ATTACHMENT_MAX_FILES}
            )
        for upload in files:
            if upload.size > settings.ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(limit)s.")
                    % {
                        "name": upload.name,
                        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                    }
                )
        return files


def attachments_help() -> str:
    return _("Up to %(n)s files, each at most %(limit)s.") % {
        "n": settings.ATTACHMENT_MAX_FILES,
        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
    }


#: What an agent's reply may set the case to ("send and set status").
REPLY_STATUSES = (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED)


class ReplyForm(forms.Form):
    public = forms.TypedChoiceField(
        label=_("Send as"),
        choices=[("1", _("Public reply to the customer")), ("0", _("Internal note"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = AttachmentsField()
    status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Leave as it is"))] + [(s, Status(s).label) for s in REPLY_STATUSES],
        required=False,
        widget=forms.Select(attrs={"id": "id_reply_status"}),  # beside the handling's status
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class BulkForm(forms.Form):
    """One change for every case selected in the queue; empty fields leave cases as they are."""

    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=User.objects.filter(agent__isnull=False).order_by("name", "email"),
        required=False,
        empty_label="—",
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",  # as the queue's team filter names a team
        required=False,
        empty_label="—",
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", "—"), *Status.choices],
        required=False,
        widget=forms.Select(attrs={"id": "b-status"}),
    )


class SavedViewForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, widget=forms.TextInput(attrs={"id": "view-name"})
    )
    shared = forms.BooleanField(
        label=_("Share with the team"),
        required=False,
        widget=forms.CheckboxInput(attrs={"id": "view-shared"}),
    )


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Variables: {{ case.reference }}, {{ case.subject }}, {{ requester.name }}, "
            "{{ requester.email }}, {{ organization.name }}, {{ agent.name }}."
        ),
    )
    status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Leave as it is"))] + [(s, Status(s).label) for s in REPLY_STATUSES],
        required=False,
    )


class AssetChoice(forms.ModelChoiceField):
    """A device by serial and model, saying when the contract does not cover it."""

    def label_from_instance(self, obj: Asset) -> str:
        label = f"{obj.serial} · {obj.model}" if obj.model else obj.serial
        return (
            label
            if obj.under_contract
            else _("%(device)s (not under contract)") % {"device": label}
        )


class CaseControlsForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(agent__isnull=False).order_by("name", "email"),
        required=False,
        empty_label="—",
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label="—"
    )
    asset = AssetChoice(
        label=_("Device"), queryset=Asset.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, organization: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if organization is not None:
            cast(AssetChoice, self.fields["asset"]).queryset = organization.assets.order_by(
                "serial"
            )


class PriorityChoice(forms.RadioSelect):
    """Each priority with the plan's own definition of it beside the label."""

    option_template_name = "tickets/_priority_option.html"
    definitions: dict[str, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["definition"] = self.definitions.get(str(value), "")
        if option["definition"]:
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_definition"
        return option


class OngoingIncidentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Incident) -> str:
        return obj.name_in(get_language())


class NewCaseForm(forms.Form):
    incident = OngoingIncidentChoice(
        label=_("Is this about an ongoing incident?"),
        queryset=Incident.objects.none(),
        required=False,
        empty_label=_("No, something else"),
        help_text=_("We already work on these; a case about one of them hears of its progress."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, what you expected, and since when."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial="P3", widget=PriorityChoice
    )
    asset = AssetChoice(
        label=_("Device"),
        queryset=Asset.objects.none(),
        required=False,
        empty_label=_("Not about one device"),
        help_text=_("The computer or device the problem is with, if it is one of these."),
    )
    attachments = AttachmentsField()

    def __init__(
        self,
        *args,
        definitions: dict[str, str] | None = None,
        assets: "QuerySet[Asset] | None" = None,
        incidents: "QuerySet[Incident] | None" = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if incidents is not None and incidents.exists():
            self.fields["incident"].queryset = incidents  # type: ignore[attr-defined]
        else:
            del self.fields["incident"]
        self.fields["priority"].widget.definitions = definitions or {}
        self.fields["attachments"].help_text = attachments_help()
        if assets is not None and assets.exists():
            cast(AssetChoice, self.fields["asset"]).queryset = assets.order_by("serial")
        else:
            del self.fields["asset"]  # an organization without devices on file


class CustomerReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )

    def clean_month(self) -> date | None:
        value = self.cleaned_data["month"]
        if not value:
            return None
        try:
            return months.parse_month(value)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a month from %(first)s to %(last)s, like 2026-03.")
                % {"first": f"{months.FIRST_MONTH:%Y-%m}", "last": f"{months.LAST_MONTH:%Y-%m}"}
            ) from None
