from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from supportdesk.status import services
from supportdesk.status.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
)


@admin.register(ComponentGroup)
class ComponentGroupAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "position"]

    def save_model(self, request: HttpRequest, obj: ComponentGroup, form: ModelForm, change: bool):
        data = form.cleaned_data
        group, _change = services.save_group(
            data["slug"], name=data["name"], names=data["names"], position=data["position"]
        )
        obj.pk = group.pk


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    """Configuration; a new component starts operational, and its statuses change through
    incidents, maintenance and the API, so its history stays whole."""

    list_display = ["slug", "name", "group", "audience", "status", "status_since"]
    list_filter = ["audience", "group", "status"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["organizations", "plans"]
    readonly_fields = ["status", "status_since"]

    def save_model(self, request: HttpRequest, obj: Component, form: ModelForm, change: bool):
        data = form.cleaned_data
        component, _change = services.save_component(
            data["slug"],
            name=data["name"],
            names=data["names"],
            group=data["group"],
            audience=data["audience"],
            organizations=data["organizations"],
            plans=data["plans"],
            description=data["description"],
            position=data["position"],
        )
        obj.pk = component.pk

    def save_related(self, request: HttpRequest, form: ModelForm, formsets, change: bool):
        """The service has set the organizations and plans the audience names."""


class ReadOnly(admin.ModelAdmin):
    """Incidents and maintenance are written in the workspace and the API, which post their
    updates and set component statuses in one step; here they are read."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class IncidentUpdateInline(admin.TabularInline):
    model = IncidentUpdate
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "status", "body", "components", "author")


class MaintenanceUpdateInline(admin.TabularInline):
    model = MaintenanceUpdate
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "status", "body", "author")


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = ["name", "impact", "status", "started_at", "resolved_at"]
    list_filter = ["status", "impact"]
    inlines = [IncidentUpdateInline]


@admin.register(Maintenance)
class MaintenanceAdmin(ReadOnly):
    list_display = ["name", "status", "starts_at", "ends_at"]
    list_filter = ["status"]
    inlines = [MaintenanceUpdateInline]
