from django.contrib import admin

from supportdesk.remote.models import ConsentRequest, RemoteSession


@admin.register(ConsentRequest)
class ConsentRequestAdmin(admin.ModelAdmin):
    """Read only: consents are given by customers and kept as they gave them."""

    list_display = ("case", "asked_by", "asked_at", "consented_by", "consented_at", "ip_address")
    list_select_related = ("case", "asked_by", "consented_by")
    exclude = ("digest",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RemoteSession)
class RemoteSessionAdmin(admin.ModelAdmin):
    list_display = ("case", "tool", "session_id", "agent", "started_at", "ended_at")
    list_select_related = ("case", "agent")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
