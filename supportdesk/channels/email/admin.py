"""Administrators configure support addresses here and see held and unreadable mail."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportdesk.channels.email.intake import release
from supportdesk.channels.email.models import (
    BouncedAddress,
    EmailAttachment,
    InboundEmail,
    IntakeStatus,
    Mailbox,
)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "name", "brand", "is_default", "imap_enabled", "last_polled_at"]
    readonly_fields = ["last_polled_at", "last_poll_error"]


class AttachmentInline(admin.TabularInline):
    model = EmailAttachment
    readonly_fields = ("filename", "content_type", "size", "inline", "download")
    fields = readonly_fields
    extra = 0
    can_delete = False

    @admin.display(description=_("file"))
    def download(self, obj: EmailAttachment) -> str:
        if obj.omitted:
            return gettext("not stored (over the size limit)")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("attachment", args=[obj.attachment_id]),
            gettext("download"),
        )


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Read-only: mail is received by the gateway and the poller, never edited."""

    list_display = ["id", "received_at", "status", "hold_reason", "from_address", "subject", "case"]
    list_filter = ["status", "hold_reason", "source", "mailbox"]
    search_fields = ["from_address", "subject", "message_id"]
    exclude = ["raw"]
    readonly_fields = ["original"]
    inlines = [AttachmentInline]
    actions = ["release_held"]

    @admin.action(description=_("Open cases from the selected held messages"))
    def release_held(self, request, queryset) -> None:
        released = 0
        for email in queryset.filter(status=IntakeStatus.HELD):
            release(email)
            released += 1
        self.message_user(
            request, _("%(n)s messages released.") % {"n": released}, messages.SUCCESS
        )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("original"))
    def original(self, obj: InboundEmail) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("email_raw", args=[obj.pk]), _("download .eml")
        )


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    list_display = ["address", "bounces", "permanent", "last_status", "last_bounced_at"]
    search_fields = ["address"]
