from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts import mail
from supportdesk.accounts.choices import AddressKind
from supportdesk.accounts.models import (
    Agent,
    Brand,
    Contact,
    Organization,
    OrganizationEvent,
    OwnerClaim,
    RegisteredAddress,
    Team,
    User,
)
from supportdesk.accounts.services import (
    InvalidAddress,
    OwnerError,
    invite_owner,
    normalize_email,
    normalize_phone,
)
from supportdesk.accounts.throttle import client_address


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

    refusals: dict[str, tuple[Callable[[str], str], Any]] = {
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
    list_display = ["name", "organization", "role", "extension"]
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


class OwnerClaimForm(forms.ModelForm):
    """Record the buyer: the service checks the address and, when the organization has an
    owner already, that the note says why they are replaced."""

    #: Who records the buyer, and from where: set on the class the admin builds per request.
    request_user: Any = None
    request_ip: str = ""

    class Meta:
        model = OwnerClaim
        fields = ["organization", "email", "name", "language", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issued: tuple[OwnerClaim, str] | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.issued = invite_owner(
                cleaned["organization"],
                email=cleaned["email"],
                by=self.request_user,
                name=cleaned.get("name", ""),
                language=cleaned.get("language", ""),
                note=cleaned.get("note", ""),
                ip=self.request_ip,
            )
        except OwnerError as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned


@admin.register(OwnerClaim)
class OwnerClaimAdmin(admin.ModelAdmin):
    """The provider records an organization's buyer here; the record is then read-only."""

    form = OwnerClaimForm
    list_display = ["email", "organization", "created_at", "claimed_at"]
    list_filter = ["organization"]
    search_fields = ["email", "organization__name"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = cast(type[OwnerClaimForm], super().get_form(request, obj, change, **kwargs))
        form.request_user = request.user
        form.request_ip = client_address(request)
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: OwnerClaim, form: Any, change: bool) -> None:
        claim, secret = form.issued
        obj.pk = claim.pk
        link = mail.owner_link(secret, request)
        if mail.send_owner_link(claim, link):
            self.message_user(request, _("Mailed %(email)s the link.") % {"email": claim.email})
        else:
            self.message_user(
                request,
                _("The mail could not be sent; give %(email)s this link: %(link)s")
                % {"email": claim.email, "link": link},
                level="warning",
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing to relate: the service stored the record."""


@admin.register(OrganizationEvent)
class OrganizationEventAdmin(admin.ModelAdmin):
    list_display = ["at", "organization", "kind", "actor", "ip"]
    list_filter = ["kind"]
    search_fields = ["organization__name", "actor__email"]
    readonly_fields = ["organization", "at", "actor", "kind", "details", "ip"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
