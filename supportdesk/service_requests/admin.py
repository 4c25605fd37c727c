from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from supportdesk.service_requests import services
from supportdesk.service_requests.definitions import (
    DefinitionError,
    parse_checklist,
    parse_fields,
    parse_targets,
)
from supportdesk.service_requests.models import RequestType, ServiceRequest


class RequestTypeForm(forms.ModelForm):
    """The definitions are checked by the same rules as the world file's."""

    class Meta:
        model = RequestType
        fields = [
            "slug", "names", "descriptions", "who", "fields", "checklist", "targets", "brand",
            "active", "position",
        ]  # fmt: skip

    def _checked(self, name: str, parse) -> object:
        value = self.cleaned_data.get(name)
        try:
            parse(value)
        except DefinitionError as error:
            where = ".".join(str(part) for part in error.at)
            raise forms.ValidationError(
                f"{where}: {error.message}" if where else error.message
            ) from None
        return value

    def clean_fields(self) -> object:
        return self._checked("fields", parse_fields)

    def clean_checklist(self) -> object:
        return self._checked("checklist", parse_checklist)

    def clean_targets(self) -> object:
        return self._checked("targets", parse_targets)

    def clean_names(self) -> object:
        names = self.cleaned_data.get("names")
        if not isinstance(names, dict) or not names:
            raise forms.ValidationError(_('Give a name, e.g. {"en": "Number porting"}.'))
        return names


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    form = RequestTypeForm
    list_display = ["slug", "name", "who", "brand", "active", "position"]
    list_filter = ["who", "brand", "active"]
    search_fields = ["slug"]

    def save_model(self, request: HttpRequest, obj: RequestType, form: ModelForm, change: bool):
        data = form.cleaned_data
        request_type, _change = services.save_request_type(
            data["slug"],
            names=data["names"],
            descriptions=data["descriptions"],
            who=data["who"],
            fields=data["fields"],
            checklist=data["checklist"],
            targets=data["targets"],
            brand=data["brand"],
            position=data["position"],
            active=data["active"],
        )
        obj.pk = request_type.pk


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Requests are worked from the case page; here they are read."""

    list_display = ["case", "request_type", "submitted_by", "submitted_at"]
    list_filter = ["request_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
