from django.contrib import admin

from supportdesk.tickets.models import Case, OutboundMessage


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only here: changes to cases go through the services, which write their events."""

    list_display = ["id", "reference", "subject", "organization", "priority", "status"]
    list_filter = ["status", "priority", "channel", "covered"]
    search_fields = ["subject", "reference"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["to", "subject", "status", "attempts", "created_at"]
    list_filter = ["status"]
