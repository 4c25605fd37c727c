from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read in the agent's own time zone, not the server's."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *, zone: str = "UTC", **kwargs) -> None:
        super().__init__(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)
        self.zone = zone

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                naive = datetime.fromisoformat(value.strip())
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            if naive.tzinfo is None:
                return naive.replace(tzinfo=ZoneInfo(self.zone))
            return naive
        return super().to_python(value)


class ConfirmLongForm(forms.Form):
    """A form whose work may run longer than a working day: its confirmation box stays hidden
    until the desk has refused the work once for its length (``confirming``)."""

    confirm_long = forms.BooleanField(
        label=_("Yes, record more than a working day"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, confirming: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if confirming:
            self.fields["confirm_long"].widget = forms.CheckboxInput()


class TimeEntryForm(ConfirmLongForm):
    start = LocalDateTimeField(label=_("From"))
    end = LocalDateTimeField(label=_("To"))
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    field_order = ["start", "end", "billable", "note", "confirm_long"]

    def __init__(self, *args, zone: str = "UTC", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):  # the form's copies of its LocalDateTimeFields
            cast(LocalDateTimeField, self.fields[name]).zone = zone


class TimerForm(forms.Form):
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
