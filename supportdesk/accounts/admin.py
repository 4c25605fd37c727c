from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.choices import AddressKind
from supportdesk.accounts.models import (
    Agent,
    Brand,
    Contact,
    Organization,
    RegisteredAddress,
    Team,
    User,
)
from supportdesk.accounts.services import InvalidAddress, normalize_email, normalize_phone


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name", "timezone", "language"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2"]})]


class AddressForm(forms.ModelForm):
    """An address is stored as ``find_contact`` looks it up (lower-case email, E.164 number):
    typed any other way, the customer would be treated as unregistered."""

    refusals = {
        AddressKind.EMAIL: (normalize_email, _("%(v)s is not an email address")),
        AddressKind.PHONE: (
            normalize_phone,
            _("%(v)s is not a phone number in international form like +351210000247"),
        ),
    }

    class Meta:
        model = RegisteredAddress
        fields = ["kind", "value"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind in self.refusals and value:
            normalise, refusal = self.refusals[kind]
            try:
                cleaned["value"] = normalise(value)
            except InvalidAddress:
                self.add_error("value", refusal % {"v": value})
        return cleaned


class AddressInline(admin.TabularInline):
    model = RegisteredAddress
    form = AddressForm
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["name", "addresses__value"]
    inlines = [AddressInline]


admin.site.register(Brand, list_display=["name", "slug"], search_fields=["name", "slug"])
admin.site.register(
    Organization,
    list_display=["name", "brand"],
    list_filter=["brand"],
    search_fields=["name", "slug"],
)
admin.site.register(Team)
admin.site.register(
    Agent, list_display=["user", "level", "brand", "all_brands"], list_filter=["brand"]
)
