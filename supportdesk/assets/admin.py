from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from supportdesk.assets.models import Asset
from supportdesk.assets.services import normalize_serial


class AssetForm(forms.ModelForm):
    """The same rules as the import and the world file: serials in capitals, and the user a
    contact of the device's organization."""

    class Meta:
        model = Asset
        fields = ["organization", "serial", "model", "device_class", "location", "user",
                  "under_contract"]  # fmt: skip

    def clean_serial(self) -> str:
        return normalize_serial(self.cleaned_data["serial"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        user, organization = data.get("user"), data.get("organization")
        if user is not None and organization is not None and user.organization != organization:
            self.add_error(
                "user",
                _("%(user)s is not a contact of %(org)s.") % {"user": user, "org": organization},
            )
        return data


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = AssetForm
    list_display = ["serial", "model", "device_class", "organization", "user", "under_contract"]
    list_filter = ["device_class", "under_contract"]
    search_fields = ["serial", "model", "location", "organization__name"]
    raw_id_fields = ["organization", "user"]
