from datetime import datetime
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


class TimeEntryForm(forms.Form):
    start = LocalDateTimeField(label=_("From"))
    end = LocalDateTimeField(label=_("To"))
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, zone: str = "UTC", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].zone = zone
        self.fields["end"].zone = zone


class TimerForm(forms.Form):
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
