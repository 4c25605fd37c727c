"""The phone channel in the admin: the same data as the world file's ``phone:`` section.

Numbers are stored in E.164, as the carrier sends them, whatever way they are typed here;
calls and the carrier's raw requests are records, read-only.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.services import InvalidAddress, normalize_phone
from supportdesk.channels.voice.models import (
    AgentLine,
    Call,
    CarrierRequest,
    Menu,
    MenuOption,
    PhoneNumber,
    SupportPin,
)


def _e164(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidAddress:
        raise forms.ValidationError(
            _("%(v)s is not a phone number in international form like +351210000247"),
            params={"v": value},
        ) from None


class PhoneNumberForm(forms.ModelForm):
    class Meta:
        model = PhoneNumber
        fields = [
            "number",
            "name",
            "language",
            "calendar",
            "menu",
            "after_hours",
            "forward_to",
            "country",
            "public",
        ]

    def clean_number(self) -> str:
        return _e164(self.cleaned_data["number"])


class AgentLineForm(forms.ModelForm):
    class Meta:
        model = AgentLine
        fields = ["agent", "phone", "softphone", "extension", "available"]

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        return _e164(phone) if phone else ""


class MenuOptionInline(admin.TabularInline):
    model = MenuOption
    fk_name = "menu"
    extra = 0


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):
    list_display = ("slug",)
    inlines = [MenuOptionInline]


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    form = PhoneNumberForm
    list_display = ("number", "name", "country", "calendar", "menu", "public")


@admin.register(AgentLine)
class AgentLineAdmin(admin.ModelAdmin):
    form = AgentLineForm
    list_display = ("agent", "phone", "softphone", "extension", "available")


@admin.register(SupportPin)
class SupportPinAdmin(admin.ModelAdmin):
    list_display = ("organization", "contact")


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(RecordAdmin):
    list_display = ("rang_at", "from_number", "to_number", "outcome", "answered_by", "case")
    list_filter = ("outcome",)


@admin.register(CarrierRequest)
class CarrierRequestAdmin(RecordAdmin):
    list_display = ("received_at", "kind", "call_sid", "done_at", "error")
    list_filter = ("kind",)
