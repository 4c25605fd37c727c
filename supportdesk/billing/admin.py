from typing import Any

from django import forms
from django.contrib import admin

from supportdesk.billing.models import HourPack, TimeEntry


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written through the services, which enforce the no-overlap rule."""

    list_display = ["case", "agent", "start", "end", "billable", "source"]
    list_filter = ["billable", "source"]
    date_hierarchy = "start"
    raw_id_fields = ["case", "agent", "organization"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


class PackForm(forms.ModelForm):
    """A monthly pack counts whole months, as the billing service stores them: any day typed
    stands for its month."""

    class Meta:
        model = HourPack
        fields = ["organization", "kind", "hours", "purchased", "start_month", "end_month"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for key in ("start_month", "end_month"):
            if cleaned.get(key) is not None:
                cleaned[key] = cleaned[key].replace(day=1)
        return cleaned


admin.site.register(HourPack, form=PackForm, list_display=["organization", "kind", "hours"])
