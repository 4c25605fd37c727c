from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from supportdesk.accounts.models import Agent, Contact, Organization, RegisteredAddress, Team, User


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


class AddressInline(admin.TabularInline):
    model = RegisteredAddress
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["name", "addresses__value"]
    inlines = [AddressInline]


admin.site.register(Organization, search_fields=["name", "slug"])
admin.site.register(Team)
admin.site.register(Agent, list_display=["user", "level"])
