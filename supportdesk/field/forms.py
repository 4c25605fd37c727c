"""The field steps' forms on the case page and the technician's day list."""

from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Agent, User
from supportdesk.field.models import Loaner, LoanerIssue

LOCAL_MINUTE = ["%Y-%m-%dT%H:%M"]


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; read in the agent's own zone."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=LOCAL_MINUTE[0])


class DecideVisitForm(forms.Form):
    purpose = forms.CharField(
        label=_("What for"),
        max_length=300,
        required=False,
        help_text=_("Empty: the case's subject."),
    )


class ScheduleVisitForm(forms.Form):
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=User.objects.none())
    start = forms.DateTimeField(
        label=_("From"), widget=LocalDateTimeInput(), input_formats=LOCAL_MINUTE
    )
    end = forms.DateTimeField(
        label=_("Until"), widget=LocalDateTimeInput(), input_formats=LOCAL_MINUTE
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["technician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            technician__isnull=False, agent__in=Agent.objects.visible_to(user)
        ).order_by("name", "email")


class DepartForm(forms.Form):
    report = forms.CharField(
        label=_("Report"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class LoanerForm(forms.Form):
    loaner = forms.ModelChoiceField(label=_("Loaner"), queryset=Loaner.objects.none())
    disk_moved = forms.BooleanField(label=_("The device's disk moved into it"), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["loaner"]
        assert isinstance(field, forms.ModelChoiceField)
        out = LoanerIssue.objects.filter(returned_at__isnull=True).values("loaner_id")
        field.queryset = Loaner.objects.visible_to(user).exclude(pk__in=out)
