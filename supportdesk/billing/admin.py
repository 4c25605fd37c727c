from django.contrib import admin

from supportdesk.billing.models import TimeEntry


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
